// The torchlet side of the benchmark, in a process of its own (as the PyTorch side is), so that
// peak memory and warm-up belong to one measurement. It loads the model that benchmark.mjs saved
// (the same file the PyTorch side reads) and times passes when benchmark.mjs asks.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import * as tl from '../../dist/index.js';

const { values: a } = parseArgs({
  options: {
    model: { type: 'string' },
    task: { type: 'string' },
    'batch-size': { type: 'string' },
    steps: { type: 'string' },
    warmup: { type: 'string' },
    'warmup-seconds': { type: 'string', default: '0' },
    'min-pass-ms': { type: 'string', default: '0' },
    threads: { type: 'string' },
    device: { type: 'string' },
    seed: { type: 'string', default: '0' },
    'cuda-graph': { type: 'boolean', default: false },
    precision: { type: 'string' },
  },
});
// Seconds since this process started (Linux: /proc/self/stat's start time, in clock ticks of
// 1/100 s, against the uptime), as pytorch_bench.py computes it.
function processAge() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const started = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) / 100;
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) - started;
}

const batchSize = Number(a['batch-size']);
const steps = Number(a.steps);
const warmup = Number(a.warmup);
tl.setNumThreads(Number(a.threads));
tl.manualSeed(Number(a.seed));
const device = a.device;
const cuda = device.startsWith('cuda');

const model = (await tl.loadModel(a.model)).to(device);
model.compile({
  optimizer: 'adam',
  loss: 'sparse_categorical_crossentropy',
  metrics: ['accuracy'],
  cudaGraph: a['cuda-graph'],
  mixedPrecision: a.precision === 'bf16' ? 'bf16' : null,
});
// The data stays on the device as uint8 NHWC; fit and predict gather, convert and scale each batch there.
const [h, w, c] = model.inputShape;
const count = Math.max(steps, warmup) * batchSize;
const data = new tl.ImageDataset(tl.randint(0, 256, [count, h, w, c], { dtype: 'uint8', device }), tl.randint(0, 10, [count], { device }));
const timed = data.take(steps * batchSize);
const run = async (dataset) => {
  if (a.task === 'train') await model.fit(dataset, { epochs: 1, batchSize, verbose: 0 });
  else (await model.predict(dataset, { batchSize })).dispose();
};

// The time to first step: from the process's start (Node, import, model load) to the end of the
// first step, as pytorch_bench.py measures it.
let firstStepSeconds = null;
if (warmup > 0) {
  await run(data.take(batchSize));
  tl.cuda.synchronize();
  firstStepSeconds = processAge();
  const warmUntil = performance.now() + Number(a['warmup-seconds']) * 1000;
  if (warmup > 1) await run(data.take((warmup - 1) * batchSize));
  // V8 optimizes the per-step JavaScript in the background over the first thousand or so steps.
  while (performance.now() < warmUntil) await run(timed);
}
// Runs of `steps` per timed pass: enough for a pass of at least --min-pass-ms at the pace of one
// more untimed run (after an idle wait the first steps run slower, on both sides alike, and a
// short pass is mostly those), as pytorch_bench.py does. The data stays the same size.
let runs = 1;
if (Number(a['min-pass-ms']) > 0) {
  const start = performance.now();
  await run(timed);
  tl.cuda.synchronize();
  runs = Math.max(1, Math.ceil(Number(a['min-pass-ms']) / (performance.now() - start)));
}
const passSteps = runs * steps;
tl.cuda.synchronize();
if (cuda) tl.cuda.resetPeakMemory(device);
const info = tl.backendInfo();
// The protocol of benchmark.mjs: 'ready' after warm-up; each 'run' times one pass and answers
// with its ms/step; 'done' answers with the peak memory and exits.
const reply = (value) => process.stdout.write(JSON.stringify(value) + '\n');
reply({ ready: true, firstStepSeconds, passSteps, torchVersion: info.torchVersion, threads: tl.getNumThreads(), device });
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'run') {
    // fit and predict end by reading their results back, so the device is idle at both timing boundaries.
    tl.cuda.synchronize();
    const start = performance.now();
    for (let k = 0; k < runs; k++) await run(timed);
    tl.cuda.synchronize();
    reply({ msPerStep: (performance.now() - start) / passSteps });
  } else {
    reply({ peakMemory: cuda ? tl.cuda.memory(device).peakAllocated : process.resourceUsage().maxRSS * 1024 });
    break;
  }
}
