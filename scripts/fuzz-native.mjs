// Fuzzes the native boundary: calls every binding of the addon with generated arguments, good,
// bad and strange (NaN, 2**32, -0, empty and ragged arrays, arrays whose getters change them,
// proxies that throw, disposed and hand-made tensor handles, wrong dtypes and shapes ...). Each
// call must return or throw an Error; anything else (a crash, an abort, a sanitizer report, a
// thrown non-Error) is a defect.
//   node scripts/fuzz-native.mjs [--seed N] [--calls N] [--log FILE]
// --log writes each call before it is made, so that the call that crashed the process is the
// last line. Sizes that would really allocate gigabytes are not generated: they test the
// machine, not the addon (the addon's own size limits are tested in test/create.test.ts).
import { openSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { seededRandom } from './seeded-random.mjs';
import { native } from '../dist/native.js';

const { values: opts } = parseArgs({
  options: { seed: { type: 'string', default: '1' }, calls: { type: 'string', default: '3000' }, log: { type: 'string' } },
});
const log = opts.log ? openSync(opts.log, 'w') : null;

const { random, pick, chance } = seededRandom(Number(opts.seed));

// Everything a JS caller could pass, from plausible to hostile.
const SMALL = [0, 1, 2, 3, 4, -1, -2, 5, 8];
const HUGE = [2 ** 31, 2 ** 32, 2 ** 32 + 1, 3 * 2 ** 32, 2 ** 40, 2 ** 53, -(2 ** 53), 2 ** 63, 1e300];
const ODD = [NaN, Infinity, -Infinity, -0, 0.5, -0.5, 1.5, Number.EPSILON, Number.MIN_VALUE];
const STRINGS = [
  'cpu',
  'cuda',
  'cuda:0',
  'cuda:7',
  'cuda:',
  'float32',
  'float64',
  'int64',
  'int32',
  'uint8',
  'bool',
  'bfloat16',
  'float16',
];
const STRINGS2 = [
  'same',
  'valid',
  'mean',
  'sum',
  'none',
  'tanh',
  'blas',
  'auto',
  'adam',
  'nadam',
  'torch-adamw',
  'torch-sgd',
  'channelsLast',
  'contiguous',
  '',
  'x'.repeat(300),
  '\u0000',
  '💥',
];
const DTYPES = ['float32', 'float64', 'int64', 'int32', 'uint8', 'bool', 'bfloat16', 'float16', 'int8', 'int16'];
const SHAPES = [
  [],
  [0],
  [1],
  [3],
  [2, 3],
  [3, 2],
  [2, 0, 3],
  [1, 1],
  [2, 3, 4],
  [1, 3, 5, 5],
  [2, 2, 4, 4],
  [2, 4, 3, 3],
  [4, 8],
  [2, 10],
  [1, 1, 1, 1, 1],
];

// Functions that allocate what their size arguments say get no huge sizes (see above).
const ALLOCATING = new Set(['zeros', 'ones', 'full', 'rand', 'randn', 'randint', 'randperm', 'randpermSeeded', 'arange', 'pad', 'tensor']);
// Left out: 4096 threads. The handle classes are called with `new`, as JS could.
const SKIPPED = new Set(['setNumThreads', 'TensorHandle']);

const tensors = [];
const optimizers = [];

function makeTensor() {
  const shape = pick(SHAPES);
  const dtype = pick(DTYPES);
  try {
    let t = native.zeros(shape, dtype, 'cpu');
    if (dtype.startsWith('float') || dtype === 'bfloat16') {
      t = native.randn(shape, dtype, 'cpu');
      if (chance(0.3)) native.setRequiresGrad(t, true);
    } else if (dtype !== 'bool') {
      t = native.randint(0, 4, shape, dtype, 'cpu');
    }
    if (shape.length === 4 && chance(0.3)) t = native.contiguous(t, 'channelsLast');
    if (shape.length >= 2 && chance(0.2)) t = native.transpose(t, 0, 1);
    return t;
  } catch {
    return native.zeros([2], 'float32', 'cpu');
  }
}

const OPTIMIZER_KINDS = ['adam', 'sgd', 'rmsprop', 'adagrad', 'adamax', 'nadam', 'lion', 'torch-adam', 'torch-adamw', 'torch-sgd'];
// Options that switch on each kind's optional state (velocityHat, momentum, averageGradient).
const OPTIMIZER_OPTIONS = [
  { momentum: 0.9, amsgrad: true },
  { momentum: 0.5, nesterov: true, centered: true },
  { rho: 0.5, initialAccumulatorValue: 0.3, weightDecay: 0.01, beta1: 0.5 },
  { schedule: 1, learningRate: 0.1, decaySteps: 3, decayRate: 0.5, staircase: true },
  { schedule: 2, learningRate: 0.01, decaySteps: 10, alpha: 0.1, warmup: true, warmupTarget: 0.1, warmupSteps: 4 },
];

function makeOptimizer() {
  const params = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
    const p = native.randn(pick([[2], [2, 3], [4]]), 'float32', 'cpu');
    native.setRequiresGrad(p, true);
    if (chance(0.7)) native.setGrad(p, native.randn(native.shape(p), 'float32', 'cpu'));
    return p;
  });
  return native.optimizer(pick(OPTIMIZER_KINDS), params, chance(0.5) ? {} : pick(OPTIMIZER_OPTIONS));
}

function pooledOptimizer() {
  if (optimizers.length < 5 || chance(0.2)) optimizers.push(makeOptimizer());
  return pick(optimizers);
}

function tensor() {
  if (tensors.length < 40 || chance(0.1)) tensors.push(makeTensor());
  return pick(tensors);
}

// An array whose element getter changes the array while native code reads it.
function mutatingArray(base) {
  const array = [...base];
  Object.defineProperty(array, 0, {
    get() {
      if (chance(0.5)) array.push(...base, ...base, 7);
      else array.length = 0;
      return base[0];
    },
    enumerable: true,
    configurable: true,
  });
  return array;
}

function throwingProxy(base) {
  return new Proxy(base, {
    get(target, key) {
      if (key === 'length') return target.length;
      throw new Error('a getter that throws');
    },
  });
}

function number(allowHuge) {
  const roll = random();
  if (roll < 0.6) return pick(SMALL);
  if (roll < 0.8 || !allowHuge) return pick(ODD.concat(SMALL));
  return pick(HUGE);
}

function array(allowHuge, depth = 0) {
  const roll = random();
  if (roll < 0.35) return [...pick(SHAPES)];
  if (roll < 0.5) return Array.from({ length: Math.floor(random() * 5) }, () => number(allowHuge));
  if (roll < 0.6) return Array.from({ length: 1 + Math.floor(random() * 3) }, () => tensor());
  if (roll < 0.67) return mutatingArray(chance(0.5) ? [2, 3] : [tensor(), tensor()]);
  if (roll < 0.72) return throwingProxy([1, 2]);
  if (roll < 0.77) return [1, , 3]; // eslint-disable-line no-sparse-arrays -- a hole is part of the test
  if (roll < 0.82 && depth < 2) return [array(allowHuge, depth + 1)];
  if (roll < 0.9) return [pick(STRINGS), null, undefined, {}];
  return Array.from({ length: 9 }, () => 1);
}

function object() {
  const roll = random();
  if (roll < 0.25) return {};
  if (roll < 0.55) {
    const keys = ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'momentum', 'dampening', 'amsgrad', 'nesterov'];
    return Object.fromEntries(keys.filter(() => chance(0.4)).map((k) => [k, chance(0.5) ? number(true) : pick([true, false, 'x', null])]));
  }
  if (roll < 0.75) {
    const steps = chance(0.5) ? mutatingArray([1, 2]) : Array.from({ length: Math.floor(random() * 4) }, () => number(true));
    return { steps, buffers: { expAvg: chance(0.5) ? mutatingArray([tensor()]) : [tensor(), null], momentum: array(false) } };
  }
  if (roll < 0.85)
    return Object.defineProperty({}, 'learningRate', {
      get: () => {
        throw new Error('getter');
      },
      enumerable: true,
    });
  return Object.create(pick([native.TensorHandle.prototype, Object.prototype, null]));
}

function value(name) {
  const allowHuge = !ALLOCATING.has(name);
  const roll = random();
  if (roll < 0.3) return tensor();
  if (roll < 0.5) return number(allowHuge);
  if (roll < 0.6) return pick(STRINGS.concat(STRINGS2));
  if (roll < 0.7) return array(allowHuge);
  if (roll < 0.76) return object();
  if (roll < 0.8) return pick([null, undefined, true, false]);
  if (roll < 0.84) {
    const disposed = makeTensor();
    native.dispose(disposed);
    return disposed;
  }
  if (roll < 0.87) return Object.create(native.TensorHandle.prototype); // an instance with no tensor behind it
  if (roll < 0.91) {
    const opt = pooledOptimizer();
    return chance(0.8) ? opt : Object.create(Object.getPrototypeOf(opt));
  }
  if (roll < 0.95)
    return pick([
      new Float32Array(6),
      new Int32Array([1, 2, 3]),
      new BigInt64Array(2),
      new Uint8Array(5),
      new Float64Array(0),
      new Uint16Array(3),
      new DataView(new ArrayBuffer(8)),
    ]);
  if (roll < 0.97) return 10n;
  return () => {};
}

// Calls with mostly valid arguments (a base per binding), one or two of them then replaced by a
// generated value: random arguments rarely get past the first check, these reach deep.
const f32 = (shape) => native.randn(shape, 'float32', 'cpu');
// Empty and one-element extents are where divisions by a size hide.
// Some channels-last (as layers pass them) or bfloat16: the pooling kernel's vector paths.
const nchw = () => {
  const t = f32(
    pick([
      [2, 4, 5, 5],
      [1, 4, 6, 6],
      [2, 4, 0, 5],
      [0, 4, 5, 5],
      [2, 4, 1, 1],
      [2, 0, 3, 3],
      [1, 4, 1, 1],
      [2, 19, 7, 6],
      [2, 16, 5, 5],
      [0, 32, 4, 4],
      [1, 16, 1, 3],
    ]),
  );
  if (chance(0.3)) native.setRequiresGrad(t, true); // max pooling's autograd kernels
  const layout = chance(0.3) ? native.contiguous(t, 'channelsLast') : t;
  return chance(0.2) ? native.to(layout, null, 'bfloat16') : layout;
};
const rows = () =>
  f32(
    pick([
      [4, 3],
      [1, 3],
      [0, 3],
      [4, 0],
      [2, 3, 2],
      [0, 0],
      [1, 1],
    ]),
  );
const sequences = () => {
  const t = f32(
    pick([
      [2, 5, 3],
      [1, 1, 3],
      [0, 4, 3],
      [2, 0, 3],
      [2, 5, 2],
    ]),
  );
  if (chance(0.3)) native.setRequiresGrad(t, true);
  return chance(0.2) ? native.to(t, null, pick(['bfloat16', 'float64'])) : t;
};
const labels = (n = 4) => native.randint(0, 3, [n], 'int64', 'cpu');
const maybe = (make) => (chance(0.5) ? make() : null);
const stateOf = (opt) => {
  const exported = native.optimizerExportState(opt);
  return chance(0.5) ? { ...exported, steps: mutatingArray(exported.steps.length > 0 ? exported.steps : [1]) } : exported;
};
const BASES = {
  conv2d: () => [
    nchw(),
    f32([4, pick([4, 2, 1]), 3, 3]),
    maybe(() => f32([4])),
    1,
    pick(['valid', 'same', 1, [0, 1]]),
    1,
    pick([1, 2, 4]),
    pick(['linear', 'relu']),
  ],
  // A first layer's shapes reach the fused kernel (few input channels, 16k filters, 2x2 windows);
  // tiny images leave the 2x2 window no room.
  conv2dReluMaxPool: () => {
    const channels = pick([1, 3, 4]);
    const images = f32([pick([0, 1, 3]), channels, pick([2, 3, 4, 9]), pick([3, 4, 8])]);
    return [
      chance(0.5) ? native.contiguous(images, 'channelsLast') : images,
      f32([pick([16, 32, 80, 8]), pick([channels, 2]), pick([1, 3]), 3]),
      maybe(() => f32([pick([16, 32, 80, 8])])),
      pick([1, 2]),
      pick(['valid', 'same', 1]),
      1,
      1,
      pick([2, 3, [2, 1]]),
      pick([2, 1]),
    ];
  },
  convTranspose2d: () => [
    nchw(),
    f32([4, pick([3, 1]), pick([1, 3, 4]), 3]),
    maybe(() => f32([pick([3, 1])])),
    pick([1, 2, [2, 3]]),
    pick(['valid', 'same']),
    maybe(() => pick([0, 1, [1, 0]])),
    pick([1, 2]),
  ],
  convTransposeOutputLength: () => [
    pick([1, 5, 0]),
    pick([1, 3, 4]),
    pick([1, 2, 3]),
    pick(['valid', 'same']),
    maybe(() => pick([0, 1, 2])),
    1,
  ],
  // Sequences [batch, timesteps, features] with Keras-layout weights for 3 features and 4 units.
  lstm: () => [sequences(), f32([3, 16]), f32([4, 16]), maybe(() => f32([16]))],
  gru: () => [sequences(), f32([3, 12]), f32([4, 12]), maybe(() => f32([2, 12]))],
  orthonormalize: () => [
    f32(
      pick([
        [5, 3],
        [3, 3],
        [3, 5],
        [1, 1],
        [0, 0],
      ]),
    ),
  ],
  maxPool2d: () => [nchw(), pick([2, 3, [2, 1]]), maybe(() => 2), pick([0, 1]), chance(0.5)],
  avgPool2d: () => [nchw(), pick([2, 3]), maybe(() => 1), pick([0, 1]), chance(0.5), chance(0.5)],
  adaptiveAvgPool2d: () => [nchw(), pick([1, 2, [3, 1]])],
  upsample2d: () => [nchw(), pick([1, 2, [3, 1], [2, 2 ** 40]]), pick(['nearest', 'bilinear', 'bicubic'])],
  linear: () => [rows(), f32([5, 3]), maybe(() => f32([5])), pick(['blas', 'auto']), pick(['linear', 'relu'])],
  batchNorm: () => [
    pick([nchw, rows])(),
    maybe(() => f32([4])),
    maybe(() => f32([4])),
    maybe(() => f32([4])),
    maybe(() => f32([4])),
    chance(0.5),
    0.1,
    1e-5,
  ],
  crossEntropy: () => [rows(), labels(), pick(['mean', 'sum', 'none']), pick([0, 0.1]), chance(0.5)],
  nll: () => [rows(), labels(), pick(['mean', 'sum', 'none']), chance(0.5)],
  mse: () => [rows(), rows(), 'mean'],
  binaryCrossEntropy: () => [native.sigmoid(rows()), native.rand([4, 3], 'float32', 'cpu'), 'mean'],
  dropout: () => [rows(), 0.5, chance(0.5)],
  softmax: () => [rows(), pick([-1, 0, 1])],
  logSoftmax: () => [rows(), pick([-1, 0, 1])],
  reshape: () => [rows(), [-1]],
  view: () => [rows(), [12]],
  permute: () => [nchw(), [0, 2, 3, 1]],
  transpose: () => [rows(), 0, 1],
  flatten: () => [nchw(), 1, -1],
  squeeze: () => [f32([1, 3, 1]), pick([0, 2, null])],
  unsqueeze: () => [rows(), 1],
  narrow: () => [rows(), 0, 1, 2],
  slice: () => [rows(), 0, 0, 2, 1],
  flip: () => [rows(), [0]],
  expand: () => [f32([1, 3]), [4, 3]],
  indexSelect: () => [rows(), 0, labels(2)],
  gather: () => [f32([4, 3]), 1, native.randint(0, 3, [4, 2], 'int64', 'cpu')],
  cat: () => [[rows(), rows()], 0],
  stack: () => [[f32([2, 3]), f32([2, 3])], 0],
  pad: () => [nchw(), [1, 1, 1, 1], 0],
  sum: () => [nchw(), pick([[1], [2, 3], null, -1]), chance(0.5)],
  max: () => [nchw(), pick([[1], null]), chance(0.5)],
  argmax: () => [rows(), pick([0, 1, null]), chance(0.5)],
  add: () => [rows(), pick([rows, () => 2])(), 1],
  add_: () => [rows(), rows(), 1],
  clamp: () => [rows(), -1, 1],
  where: () => [native.gt(f32([4, 3]), 0), rows(), 0],
  matmul: () => [f32([4, 3]), f32([3, 2])],
  tensor: () => [new Float32Array(6), [2, 3], 'float32', 'cpu'],
  to: () => [rows(), 'cpu', pick(DTYPES)],
  assign: () => [f32([4, 3]), rows()],
  setGrad: () => {
    const p = f32([4, 3]);
    native.setRequiresGrad(p, true);
    return [p, rows()];
  },
  backward: () => {
    const flat = chance(0.5);
    const p = f32(flat ? [4, 3] : [2, 16, 5, 4]);
    native.setRequiresGrad(p, true);
    if (flat) return [native.mul(p, 2), f32([4, 3]), chance(0.5)];
    // Through max pooling's backward kernel (channels-last, 16 channels), an odd row left out.
    const pooled = native.maxPool2d(native.contiguous(p, 'channelsLast'), 2, null, 0, false);
    return [pooled, f32([2, 16, 2, 2]), chance(0.5)];
  },
  optimizer: () => [pick(OPTIMIZER_KINDS), [f32([2])].map((t) => (native.setRequiresGrad(t, true), t)), {}],
  // Optimizers join the pool, so that later calls use whatever state these left behind.
  optimizerStep: () => [pooledOptimizer()],
  scheduleAt: () => [pick(OPTIMIZER_OPTIONS.slice(-2)), pick([0, 3, 17, 2 ** 40])],
  optimizerConfigure: () => [pooledOptimizer(), pick([{ learningRate: 0.1, momentum: 0.9 }, ...OPTIMIZER_OPTIONS])],
  optimizerExportState: () => [pooledOptimizer()],
  optimizerImportState: () => {
    const opt = pooledOptimizer();
    native.optimizerStep(opt);
    return [opt, stateOf(opt)];
  },
  // A recorded step, replayed on groups of inputs that fit it, or not (other shapes and dtypes).
  runSteps: () => {
    const input = f32([4, 3]);
    const { trace } = native.traceStep(() => [native.relu(native.mul(input, 2))], [input]);
    const inputs = Array.from({ length: pick([0, 1, 3]) }, () => pick([rows, tensor])());
    return [trace, inputs, chance(0.3) ? pooledOptimizer() : null, 'predict'];
  },
  randint: () => [0, 5, [3], 'int64', 'cpu'],
  arange: () => [0, 5, 1, null, 'cpu'],
  randpermSeeded: () => [5, 3, 'cpu'],
  // A process group of one (loopback, a short timeout), so that the collectives and the gradient
  // reduction below run for real; mutated, the rendezvous fails within the timeout.
  distInit: () => ['127.0.0.1', 40000 + Math.floor(random() * 20000), 0, 1, 'gloo', 200],
  distAllReduce: () => [tensor(), pick(['sum', 'mean', 'max', 'min', 'product'])],
  distBroadcast: () => [tensor(), 0],
  distAllGather: () => [tensor()],
  gradSync: () => [pooledOptimizer(), 1024, [], []],
};

function structured() {
  const name = pick(Object.keys(BASES));
  if (log) writeSync(log, `  (arguments for ${name})\n`);
  let args;
  try {
    args = BASES[name]();
  } catch {
    return null; // a base that its own random choices made invalid
  }
  for (let m = Math.floor(random() * 3); m > 0; m--) {
    const k = Math.floor(random() * (args.length + 1));
    // A number stays a number more often than not, from every pool: 2**32, NaN, -1 ...
    args[k] = typeof args[k] === 'number' && chance(0.7) ? pick([...SMALL, ...ODD, ...(ALLOCATING.has(name) ? [] : HUGE)]) : value(name);
  }
  return { name, call: () => native[name](...args), args };
}

const targets = Object.keys(native)
  .filter((n) => typeof native[n] === 'function' && !SKIPPED.has(n))
  .map((name) => ({ name, call: (args) => native[name](...args) }));
for (const [name, cls] of [
  ['new TensorHandle', native.TensorHandle],
  ['new OptimizerHandle', Object.getPrototypeOf(makeOptimizer()).constructor],
]) {
  targets.push({ name, call: (args) => new cls(...args) });
}
const calls = Number(opts.calls);
let threw = 0;
let namedTheOp = 0;
let rejected = 0;
const pending = [];
for (let i = 0; i < calls; i++) {
  // Building a structured call makes native calls too: a crash there is logged as such.
  if (log) writeSync(log, `${i} (building a call)\n`);
  const planned = chance(0.5) ? structured() : null;
  const { name, call } = planned ?? pick(targets);
  const args = planned?.args ?? Array.from({ length: Math.floor(random() * 9) }, () => value(name));
  if (log) writeSync(log, `${i} ${name}(${args.map(describe).join(', ')})\n`);
  let result;
  try {
    result = call(args);
  } catch (error) {
    if (!(error instanceof Error)) {
      console.error(`fuzz: call ${i} ${name} threw a non-Error: ${String(error)}`);
      process.exit(3);
    }
    threw++;
    if (error.message.startsWith(`${name}:`)) namedTheOp++;
  }
  // A job for the compute thread settles later: it too must reject with an Error.
  if (result instanceof Promise) {
    pending.push(
      result.then(
        (handles) => handles.forEach((h) => h && native.dispose(h)),
        (error) => {
          if (!(error instanceof Error)) {
            console.error(`fuzz: call ${i} ${name} rejected with a non-Error: ${String(error)}`);
            process.exit(3);
          }
          rejected++;
        },
      ),
    );
    result = undefined;
  }
  // Small results join the pool, so that calls chain; everything else is freed now.
  if (native.isTensorHandle(result) && !native.isDisposed(result)) {
    if (native.numel(result) <= 4096 && tensors.length < 200) tensors.push(result);
    else native.dispose(result);
  }
  // Process-wide switches go back to their defaults, so that one call does not steer the rest.
  native.setGradEnabled(true);
  native.setAutocast('cpu', false);
}
await Promise.all(pending);
console.log(
  JSON.stringify({ seed: Number(opts.seed), calls, threw, namedTheOp, returned: calls - threw, promises: pending.length, rejected }),
);

function describe(v) {
  try {
    if (native.isTensorHandle(v)) return native.isDisposed(v) ? 'Tensor(disposed)' : `Tensor(${native.dtype(v)}[${native.shape(v)}])`;
  } catch {
    return 'a handle the addon cannot read';
  }
  if (typeof v === 'number' || typeof v === 'bigint') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  if (Array.isArray(v)) {
    try {
      return `[${Array.from({ length: Math.min(v.length, 6) }, (_, k) => (Object.getOwnPropertyDescriptor(v, k)?.get ? 'getter' : describe(v[k]))).join(', ')}]`;
    } catch {
      return '[proxy]';
    }
  }
  if (v === null || v === undefined || typeof v === 'boolean') return String(v);
  if (typeof v === 'function') return 'function';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  return `{${Object.keys(v).join(', ')}}`;
}
