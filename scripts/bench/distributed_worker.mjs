// One process of the data-parallel benchmark (distributed.mjs): trains the saved model on random
// CIFAR-shaped data at a global batch, alone or as a rank of `torchlet launch`, and rank 0 prints
// one JSON line: ms per step of each timed pass, and per step the communication it took.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tl from '../../dist/index.js';

const { values: a } = parseArgs({
  options: {
    model: { type: 'string' },
    'batch-size': { type: 'string' },
    steps: { type: 'string' },
    warmup: { type: 'string' },
    repeats: { type: 'string' },
    threads: { type: 'string' },
    'bucket-mb': { type: 'string', default: '25' },
  },
});
const batchSize = Number(a['batch-size']);
const steps = Number(a.steps);
const parallel = process.env.WORLD_SIZE !== undefined;
tl.setNumThreads(Number(a.threads));
tl.manualSeed(0);
if (parallel) await tl.distributed.init();

const model = await tl.loadModel(a.model);
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
const count = Math.max(steps, Number(a.warmup)) * batchSize;
const [h, w, c] = model.inputShape;
const data = new tl.ImageDataset(tl.randint(0, 256, [count, h, w, c], { dtype: 'uint8' }), tl.randint(0, 10, [count]));
// Communication is counted from onTrainBegin to onTrainEnd: the steps' own, without fit's start
// (which broadcasts rank 0's weights); the time is the whole fit call's.
let window = null;
const meter = {
  onTrainBegin: () => (window = { stats: tl.distributed.stats(), lo: loopbackBytes() }),
  onTrainEnd: () => Object.assign(window, { statsEnd: tl.distributed.stats(), loEnd: loopbackBytes() }),
};
const fitSteps = (n) =>
  model.fit(data.take(n * batchSize), {
    epochs: 1,
    batchSize,
    verbose: 0,
    distributed: parallel && { bucketCapMb: Number(a['bucket-mb']) },
    callbacks: parallel ? [meter] : [],
  });

// Bytes sent over the loopback interface by every process of the machine (all ranks, both ways
// counted once: a packet on lo is transmitted once).
function loopbackBytes() {
  const line = readFileSync('/proc/net/dev', 'utf8')
    .split('\n')
    .find((l) => l.trim().startsWith('lo:'));
  return line ? Number(line.split(':')[1].trim().split(/\s+/)[8]) : NaN;
}

await fitSteps(Number(a.warmup));
const passes = [];
for (let r = 0; r < Number(a.repeats); r++) {
  if (parallel) await tl.distributed.barrier();
  const start = performance.now();
  await fitSteps(steps);
  const ms = (performance.now() - start) / steps;
  const per = (end, begin) => (end - begin) / steps;
  passes.push({
    msPerStep: ms,
    ...(parallel && {
      waitMsPerStep: per(window.statsEnd.waitSeconds, window.stats.waitSeconds) * 1000,
      bytesPerStep: per(window.statsEnd.bytes, window.stats.bytes),
      collectivesPerStep: per(window.statsEnd.collectives, window.stats.collectives),
      loopbackBytesPerStep: per(window.loEnd, window.lo),
    }),
  });
}
if (tl.distributed.rank === 0)
  process.stdout.write(JSON.stringify({ passes, threads: tl.getNumThreads(), torchVersion: tl.backendInfo().torchVersion }) + '\n');
if (parallel) tl.distributed.destroy();
