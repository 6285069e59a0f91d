// Fuzzes torchlet's public API: every exported function, every layer factory, ops.*, the Tensor,
// Sequential, optimizer, callback and dataset methods, with generated arguments and option
// objects (misspelled keys included). A call must return, or throw (or reject with) an Error whose
// message names the API it came from; it must never kill the process or hang.
//   node scripts/fuzz-api.mjs [--seed N] [--calls N] [--json FILE] [--hang-ms N] [--memory-limit-mb N] [--self-test]
// The calls run in a child process, restarted after a death; a call that makes no progress for
// --hang-ms (default 20 s) counts as a hang. The summary goes to stdout (and --json FILE).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { seededRandom } from './seeded-random.mjs';

const { values: opts } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    calls: { type: 'string', default: '2000' },
    json: { type: 'string' },
    'hang-ms': { type: 'string', default: '20000' },
    'memory-limit-mb': { type: 'string', default: '8192' },
    'self-test': { type: 'boolean', default: false }, // adds entries that die, hang and throw badly, to check the reporting
    child: { type: 'string' }, // internal: the first call index this child runs
  },
});
const seed = Number(opts.seed);
const GETTER_ERROR = 'a getter that throws';
const total = Number(opts.calls);

if (opts.child !== undefined) await child(Number(opts.child));
else await parent();

// The parent: runs children until every call is done, each death or hang noted and skipped.
async function parent() {
  const work = mkdtempSync(join(tmpdir(), 'torchlet-fuzz-api-'));
  const results = { seed, calls: total, returned: 0, errors: 0, deaths: [], hangs: [], unnamed: [], nonErrors: [], byEntry: {} };
  let next = 0;
  while (next < total) {
    next = await new Promise((resolve) => {
      let current = next;
      let description = '';
      let timer;
      const args = [
        '--seed',
        String(seed),
        '--calls',
        String(total),
        '--child',
        String(next),
        ...(opts['self-test'] ? ['--self-test'] : []),
      ];
      // The child runs under an address-space limit, so that a call asking for a huge tensor
      // (randn(2 ** 32)) gets libtorch's allocation error rather than swapping for minutes or
      // meeting the OOM killer; how an unlimited process fares there is the OS's call (overcommit).
      // AddressSanitizer needs terabytes of address space for its shadow memory; under it
      // (test:sanitize) its own max_allocation_size_mb plays this part.
      const asan = (process.env.LD_PRELOAD ?? '').includes('libasan');
      const limit = asan ? 0 : Number(opts['memory-limit-mb']) * 1024;
      const command = `${limit > 0 ? `ulimit -v ${limit} && ` : ''}exec "$0" "$@"`;
      const proc = spawn('/bin/sh', ['-c', command, process.execPath, fileURLToPath(import.meta.url), ...args], {
        cwd: work, // relative paths the fuzzer passes to save() and the like land here
        env: { ...process.env, TORCHLET_HOME: work }, // and the dataset cache too
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let stderr = '';
      proc.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          results.hangs.push({ index: current, call: description });
          proc.kill('SIGKILL');
        }, Number(opts['hang-ms']));
      };
      arm();
      proc.on('message', (m) => {
        if (m.start !== undefined) {
          current = m.start;
          description = m.call;
          arm();
          return;
        }
        const entry = (results.byEntry[m.entry] ??= { calls: 0, errors: 0 });
        entry.calls++;
        if (m.outcome === 'returned') results.returned++;
        else if (m.outcome === 'error') {
          results.errors++;
          entry.errors++;
          if (!m.named) results.unnamed.push({ index: m.index, call: m.call, message: m.message });
        } else results.nonErrors.push({ index: m.index, call: m.call, thrown: m.message });
        current = m.index + 1;
      });
      proc.on('exit', (code, signal) => {
        clearTimeout(timer);
        const hung = results.hangs.some((h) => h.index === current);
        if ((code !== 0 || signal) && !hung)
          results.deaths.push({ index: current, call: description, code, signal, stderr: stderr.slice(-600) });
        resolve(code === 0 && !signal ? total : current + 1);
      });
    });
  }
  const summary = JSON.stringify(results, null, 2);
  if (opts.json) writeFileSync(opts.json, summary + '\n');
  console.log(summary);
}

async function child(start) {
  const tl = await import('../dist/index.js');

  // Reseeded per call, so that a call is the same whether or not earlier ones ran here.
  const { random, pick, chance, reseed } = seededRandom(0);

  const SHAPES = [[2, 3], [3], [], [0], [2, 0], [1, 4, 4, 3], [2, 3, 4], [4, 4, 3]];
  const NUMBERS = [0, 1, 2, 3, -1, 0.5, 1.5, NaN, Infinity, -Infinity, -0, 2 ** 31, 2 ** 32, 2 ** 53, 1e300, 16, 32];
  const STRINGS = [
    'cpu',
    'cuda',
    'cuda:3',
    'float32',
    'int64',
    'bool',
    'relu',
    'softmax',
    'same',
    'valid',
    'adam',
    'sgd',
    'mse',
    'accuracy',
    'constructor',
    'toString',
    '__proto__',
    'hasOwnProperty',
    'glorotUniform',
    'orthogonal',
    'tanh',
    'x',
    '',
    'model-out',
    'model.keras', // a Keras 3 file for save and loadModel, not a folder
    '/proc/x',
    'missing/dir/f',
  ];
  const KEYS = [
    'units',
    'filters',
    'kernelSize',
    'activation',
    'activaton',
    'input_shape',
    'inputShape',
    'kernel_size',
    'padding',
    'strides',
    'poolSize',
    'rate',
    'name',
    'useBias',
    'outputPadding',
    'dilationRate',
    'returnSequences',
    'goBackwards',
    'returnState',
    'stateful',
    'dropout',
    'recurrentDropout',
    'resetAfter',
    'unitForgetBias',
    'recurrentInitializer',
    'epochs',
    'batchSize',
    'batch_size',
    'verbose',
    'shuffle',
    'validationSplit',
    'callbacks',
    'optimizer',
    'loss',
    'metrics',
    'learningRate',
    'learning_rate',
    'momentum',
    'formula',
    'initialLearningRate',
    'decaySteps',
    'decayRate',
    'warmupTarget',
    'factor',
    'rho',
    'centered',
    'initialAccumulatorValue',
    'dtype',
    'device',
    'monitor',
    'patience',
    'filepath',
    'mode',
    'train',
    'test',
    'dir',
    'augment',
    'normalize',
    'distributed',
    'bucketCapMb',
    'masterPort',
    'worldSize',
    'op',
    'src',
    'constructor',
    '__proto__',
    'toString',
  ];

  const tensor = () => {
    const dtype = pick(['float32', 'float32', 'int64', 'bool', 'float64', 'uint8']);
    return tl.zeros(pick(SHAPES), { dtype }).add(dtype === 'bool' ? false : 1);
  };
  const disposed = () => {
    const t = tl.ones([2]);
    t.dispose();
    return t;
  };
  const model = () => {
    const m = tl.sequential([
      tl.layers.dense({ units: 3, activation: 'relu', inputShape: [4] }),
      tl.layers.dense({ units: 2, activation: 'softmax' }),
    ]);
    if (chance(0.8)) m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    return m;
  };
  const data = () => [tl.rand([8, 4]), tl.randint(0, 2, [8])];
  const symbolic = () => tl.input({ shape: pick([[4], [4], [3], [2, 2, 1]]) });
  // A functional model of two inputs and two outputs, with a shared layer.
  const functional = () => {
    const [a, b] = [tl.input({ shape: [4] }), tl.input({ shape: [4] })];
    const shared = tl.layers.dense({ units: 3, activation: 'relu' });
    const outputs = [
      tl.layers.dense({ units: 2, activation: 'softmax' }).apply(tl.layers.add([shared.apply(a), shared.apply(b)])),
      tl.layers.dense({ units: 1 }).apply(shared.apply(a)),
    ];
    const m = tl.model({ inputs: [a, b], outputs });
    if (chance(0.8)) m.compile({ optimizer: 'adam', loss: ['sparseCategoricalCrossentropy', 'mse'], metrics: [['accuracy'], ['mae']] });
    return m;
  };
  const functionalData = () => [
    [tl.rand([8, 4]), tl.rand([8, 4])],
    [tl.randint(0, 2, [8]), tl.rand([8, 1])],
  ];
  // A member's descriptor, from the class or a base class.
  const memberOf = (cls, name) => {
    for (let proto = cls.prototype; proto; proto = Object.getPrototypeOf(proto)) {
      const member = Object.getOwnPropertyDescriptor(proto, name);
      if (member) return member;
    }
    throw new Error(`fuzz-api: ${cls.name} has no member ${name}`);
  };

  function value(depth = 0) {
    const roll = random();
    if (roll < 0.22) return tensor();
    if (roll < 0.4) return pick(NUMBERS);
    if (roll < 0.52) return pick(STRINGS);
    if (roll < 0.62 && depth < 2) return options(depth);
    if (roll < 0.7 && depth < 2)
      return chance(0.5) ? pick(SHAPES).slice() : Array.from({ length: 1 + Math.floor(random() * 3) }, () => value(depth + 1));
    if (roll < 0.74) return Object.create(tl.Tensor.prototype); // a fake tensor
    if (roll < 0.77) return disposed();
    if (roll < 0.8) return pick([null, undefined, true, false]);
    if (roll < 0.83)
      return pick([tl.layers.dense({ units: 2 }), tl.layers.flatten(), model(), symbolic(), [symbolic(), symbolic()], functional()]);
    if (roll < 0.86) return pick([new tl.optim.SGD(), new tl.optim.Adam({ learningRate: 0.1 })]);
    if (roll < 0.89) return new tl.TensorDataset(...data());
    if (roll < 0.92) return () => {};
    if (roll < 0.94) return pick([new Float32Array(4), new Float32Array(new SharedArrayBuffer(16)), new Int32Array([1, 2]), 3n]);
    if (roll < 0.96)
      return Object.defineProperty({}, 'units', {
        get: () => {
          throw new Error(GETTER_ERROR);
        },
        enumerable: true,
      });
    return Symbol('s');
  }

  function options(depth) {
    const entries = [];
    for (let k = Math.floor(random() * 4); k > 0; k--)
      entries.push([pick(KEYS), chance(0.6) ? pick([...NUMBERS.slice(0, 8), ...STRINGS.slice(0, 12), true, null]) : value(depth + 1)]);
    return Object.fromEntries(entries); // own keys, '__proto__' included
  }

  // Every entry point, as [name, names its errors may start with, call(args)].
  const entries = [];
  // An error is named when its message starts with one of `names` or with the last part of `name`
  // ('tl.zeros' → 'zeros', 'new optim.Adam' → 'Adam'), case aside.
  const add = (name, names, call) => {
    const all = [name.replace(/^new /, '').split('.').pop(), ...names].map((n) => n.toLowerCase());
    if (all.includes('')) throw new Error(`fuzz-api: entry ${name} has an empty name`);
    entries.push({ name, names: all, call });
  };
  const TOP = [
    'tensor',
    'zeros',
    'ones',
    'full',
    'arange',
    'rand',
    'randn',
    'randint',
    'randperm',
    'cat',
    'stack',
    'manualSeed',
    'tidy',
    'keep',
    'dispose',
    'normalizeDevice',
    'noGrad',
    'enableGrad',
    'sequential',
    'loadModel',
    'randomCrop',
    'randomFlip',
    'readSafetensors',
    'writeSafetensors',
    'referenceCnn',
    'resnet20',
    'input',
    'model',
    'memory',
    'emptyCache',
    'backendInfo',
  ];
  for (const name of TOP) add(`tl.${name}`, [name], (args) => tl[name](...args));
  for (const name of Object.keys(tl.ops)) add(`ops.${name}`, [name], (args) => tl.ops[name](...args));
  for (const name of Object.keys(tl.layers)) {
    if (/^[A-Z]/.test(name)) {
      add(`new layers.${name}`, [name], (args) => new tl.layers[name](...args));
      continue;
    }
    let cls = name; // errors name the class: layers.conv2d's say 'Conv2D'
    try {
      cls = tl.layers[name]({ units: 1, filters: 1, kernelSize: 1, rate: 0.5, activation: 'relu' }).constructor.name;
    } catch {
      // a factory that takes other arguments keeps its own name
    }
    add(`layers.${name}`, [name, cls], (args) => tl.layers[name](...args));
  }
  // Layers that get past their constructor: a valid base, one option replaced or added, then
  // built in a model and run on a batch of the declared shape (or of a wrong one).
  const LAYER_BASES = {
    conv2dTranspose: [{ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }, [5, 4, 3]],
    lstm: [{ units: 3, returnSequences: true }, [6, 2]],
    gru: [{ units: 3, goBackwards: true }, [6, 2]],
  };
  for (const [name, [base, shape]] of Object.entries(LAYER_BASES)) {
    const cls = tl.layers[name](base).constructor.name;
    add(`layers.${name} in a model`, [name, cls, 'sequential', 'predictOnBatch'], async (args) => {
      const layerArgs = { ...base, inputShape: shape };
      if (chance(0.5)) layerArgs[pick(KEYS)] = args[0] ?? pick(NUMBERS);
      const m = tl.sequential([tl.layers[name](layerArgs)]);
      try {
        return await m.predictOnBatch(chance(0.8) ? tl.randn([2, ...shape]) : tensor());
      } finally {
        m.dispose();
      }
    });
  }
  for (const name of Object.getOwnPropertyNames(tl.Tensor.prototype)) {
    if (name === 'constructor') continue;
    // A setter's errors name its native binding: `t.grad = x` → 'setGrad: ...'.
    add(`Tensor.${name}`, [name, `set${name[0].toUpperCase()}${name.slice(1)}`], (args) => {
      const t = tensor();
      const member = Object.getOwnPropertyDescriptor(tl.Tensor.prototype, name);
      if (member.get) return member.set && chance(0.5) ? (t[name] = args[0]) : t[name];
      return t[name](...args);
    });
  }
  // A layer called on symbolic tensors (or on anything): errors name the layer.
  add('Layer.apply', ['apply', 'Dense', 'Add', 'Concatenate', 'Conv2D', 'Flatten', 'Average'], (args) => {
    const layer = pick([
      () => tl.layers.dense({ units: 2 }),
      () => new tl.Add(),
      () => new tl.Concatenate({ axis: pick([-1, 1, 2]) }),
      () => tl.layers.conv2d({ filters: 1, kernelSize: 1 }),
      () => tl.layers.flatten(),
      () => new tl.Average(),
    ])();
    return layer.apply(chance(0.5) ? args[0] : pick([symbolic(), [symbolic(), symbolic()], [symbolic()]]));
  });
  // Sequential's documented members (forward, acceptInputShape and the like serve lib/ itself).
  const SEQUENTIAL = [
    'add',
    'build',
    'to',
    'getWeights',
    'setWeights',
    'namedWeights',
    'countParams',
    'summary',
    'compile',
    'fit',
    'evaluate',
    'predict',
    'predictOnBatch',
    'trainOnBatch',
    'save',
    'saveWeights',
    'loadWeights',
    'dispose',
    'layers',
    'inputShape',
    'outputShape',
    'built',
    'device',
    'trainableWeights',
    'compiled',
    'optimizer',
    'isDisposed',
  ];
  for (const name of SEQUENTIAL) {
    add(`Sequential.${name}`, [name, 'Sequential', 'sequential'], async (args) => {
      const m = model();
      // Calls on a model that has trained, and on one that was disposed, too.
      if (chance(0.2)) await m.fit(...data(), { epochs: 1, verbose: 0 }).catch(() => {});
      if (chance(0.1)) m.dispose();
      const member = memberOf(tl.Sequential, name);
      if (member.get) return m[name];
      // fit and evaluate get data most of the time: the options are what is fuzzed.
      if (['fit', 'evaluate'].includes(name) && chance(0.7)) return m[name](...data(), ...args.slice(0, 1));
      return m[name](...args);
    });
  }
  // A functional model's members, on one of two inputs and two outputs. Its errors name the call
  // (fit: ...), the model ('functional: ...') or, for compile's per-output settings, compile.
  const FUNCTIONAL = SEQUENTIAL.filter((name) => name !== 'add').concat(['inputShapes', 'outputShapes', 'inputs', 'outputs']);
  for (const name of FUNCTIONAL) {
    add(`Functional.${name}`, [name, 'functional', 'model', 'compile'], async (args) => {
      const m = functional();
      if (chance(0.2)) await m.fit(...functionalData(), { epochs: 1, verbose: 0 }).catch(() => {});
      if (chance(0.1)) m.dispose();
      const member = memberOf(tl.Functional, name);
      if (member.get) return m[name];
      if (['fit', 'evaluate', 'trainOnBatch'].includes(name) && chance(0.7)) return m[name](...functionalData(), ...args.slice(0, 1));
      if (['predict', 'predictOnBatch'].includes(name) && chance(0.5)) return m[name](functionalData()[0], ...args.slice(0, 1));
      return m[name](...args);
    });
  }
  const OPTIMIZERS = ['Adam', 'AdamW', 'SGD', 'RMSprop', 'Adagrad', 'Adamax', 'Nadam', 'Lion'];
  for (const name of OPTIMIZERS) {
    add(`new optim.${name}`, [name], (args) => new tl.optim[name](...args));
  }
  for (const name of ['step', 'zeroGrad', 'getState', 'setState', 'configure', 'attach', 'dispose']) {
    add(`Optimizer.${name}`, [name, 'optimizer', ...OPTIMIZERS], (args) => {
      const p = tl.randn([3]).setRequiresGrad();
      const opt = new tl.optim[pick(OPTIMIZERS)]([p], chance(0.3) ? { formula: pick(['keras', 'pytorch']) } : {});
      if (chance(0.7)) p.grad = tl.ones([3]);
      return opt[name](...args);
    });
  }
  add('Tensor.grad=', ['grad', 'setGrad'], (args) => {
    const p = tl.randn([3]).setRequiresGrad();
    p.grad = args[0] ?? tensor();
  });
  for (const [cls, name] of [
    [tl.EarlyStopping, 'EarlyStopping'],
    [tl.ReduceLROnPlateau, 'ReduceLROnPlateau'],
    [tl.optim.schedules.ExponentialDecay, 'ExponentialDecay'],
    [tl.optim.schedules.CosineDecay, 'CosineDecay'],
    [tl.ModelCheckpoint, 'ModelCheckpoint'],
    [tl.TensorDataset, 'TensorDataset'],
    [tl.ImageDataset, 'ImageDataset'],
    [tl.Sequential, 'Sequential'],
    [tl.Functional, 'Functional'],
    [tl.InputLayer, 'InputLayer'],
  ]) {
    // tl.model's class names its errors after tl.model, as users make it.
    add(`new ${name}`, name === 'Functional' ? [name, 'model'] : [name], (args) => new cls(...args));
  }
  add('ReduceLROnPlateau.onEpochEnd', ['onEpochEnd', 'ReduceLROnPlateau'], (args) => {
    const callback = new tl.ReduceLROnPlateau({ patience: 0 });
    callback.setModel({ optimizer: new tl.optim.SGD() });
    callback.onTrainBegin();
    return callback.onEpochEnd(...args);
  });
  add('LearningRateSchedule.at', ['at', 'ExponentialDecay', 'CosineDecay'], (args) =>
    new tl.optim.schedules.CosineDecay({ initialLearningRate: 0.1, decaySteps: 10, warmupTarget: 0.2, warmupSteps: 3 }).at(...args),
  );
  add('datasets.cifar10.load', ['load', 'cifar10', 'CIFAR-10'], (args) => tl.datasets.cifar10.load(...args));
  add('datasets.cifar10.synthetic', ['synthetic', 'cifar10', 'CIFAR-10'], (args) => tl.datasets.cifar10.synthetic(...args));
  for (const name of ['init', 'destroy', 'barrier', 'allReduce', 'broadcast', 'allGather', 'stats'])
    add(`distributed.${name}`, [`distributed.${name}`], (args) => tl.distributed[name](...args));
  for (const name of ['initialized', 'rank', 'worldSize', 'localRank', 'backend', 'device'])
    add(`distributed.${name}`, [], () => tl.distributed[name]);
  // A real group of one on loopback, which later calls (fit's distributed option, collectives) then use.
  add('distributed.init (a group of one)', ['distributed.init'], (args) =>
    tl.distributed.init({
      masterAddr: '127.0.0.1',
      masterPort: 40000 + Math.floor(random() * 20000),
      rank: 0,
      worldSize: 1,
      timeoutMs: 2000,
      ...(chance(0.3) ? args[0] : {}),
    }),
  );
  for (const name of ['isAvailable', 'deviceCount', 'memory', 'resetPeakMemory', 'synchronize'])
    add(`cuda.${name}`, [name, 'cuda', 'cudaMemory', 'checkDevice'], (args) => tl.cuda[name](...args));

  const selfTests = [];
  if (opts['self-test']) {
    const add = (name, names, call) => selfTests.push({ name, names, call });
    add('selfTest.die', [], () => process.kill(process.pid, 'SIGSEGV'));
    add('selfTest.hang', [], () => new Promise(() => setInterval(() => {}, 1000)));
    add('selfTest.unnamed', [], () => {
      throw new Error('something went wrong');
    });
    add('selfTest.nonError', [], () => {
      throw 'a string';
    });
  }

  for (let index = start; index < total; index++) {
    reseed(seed * 1_000_003 + index);
    random();
    // With --self-test, every 25th call is one of the self-test entries, in turn.
    const entry = selfTests.length > 0 && index % 25 === 0 ? selfTests[(index / 25) % selfTests.length] : pick(entries);
    const args = Array.from({ length: Math.floor(random() * 4) }, () => value());
    const call = `${entry.name}(${args.map(describe).join(', ')})`;
    process.send({ start: index, call });
    let outcome = 'returned';
    let message = '';
    let named = true;
    try {
      const result = entry.call(args);
      if (result && typeof result.then === 'function') await result;
    } catch (error) {
      if (error instanceof Error) {
        outcome = 'error';
        message = error.message.slice(0, 300);
        const lower = message.toLowerCase();
        // An error the caller's own getter threw is theirs to name.
        // normalizeDevice(device, owner) names its errors after the caller's `owner`.
        const names =
          entry.name === 'tl.normalizeDevice' && typeof args[1] === 'string' && args[1] !== ''
            ? [...entry.names, args[1].toLowerCase()]
            : entry.names;
        named = message === GETTER_ERROR || names.some((n) => lower.startsWith(n));
      } else {
        outcome = 'non-error';
        message = String(error);
      }
    }
    await new Promise((resolve) => process.send({ index, entry: entry.name, outcome, named, message, call }, resolve));
  }
  process.exit(0);
}

// A short text for a generated value; always a string, whatever the value's own members do.
function describe(v) {
  const text = describeValue(v);
  return typeof text === 'string' ? text : '?';
}

function describeValue(v) {
  try {
    if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'symbol') return 'Symbol()';
    if (typeof v === 'function') return 'function';
    if (ArrayBuffer.isView(v)) return v.constructor.name;
    if (Array.isArray(v)) return `[${v.slice(0, 4).map(describe).join(', ')}]`;
    if (v.constructor?.name === 'Tensor') {
      try {
        return `Tensor(${v.dtype}[${v.shape}])`;
      } catch {
        return 'Tensor(disposed or fake)';
      }
    }
    if (v.constructor && v.constructor !== Object) return v.constructor.name;
    return `{${Object.keys(v).join(', ')}}`;
  } catch {
    return '?';
  }
}
