// One rank of the distributed tests (test/distributed/*.test.ts), or the single process they
// compare with (no WORLD_SIZE). Writes what it saw to $OUT_DIR/rank-$RANK.json.
//   node rank.mjs collectives | fit | die | hang   (settings in the environment, see below)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tl from '../../dist/index.js';

const mode = process.argv[2];
const env = process.env;
const rank = Number(env.RANK ?? 0);
const distributed = env.WORLD_SIZE !== undefined;
const result = { rank, pid: process.pid };

function write() {
  writeFileSync(join(env.OUT_DIR, `rank-${env.RESULT_INDEX}.json`), JSON.stringify(result));
}

// A batch-norm-free model unless BN=1; the data is the same on every rank (seeded).
function model() {
  tl.manualSeed(Number(env.SEED ?? 3));
  const layers = [
    tl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 2] }),
    ...(env.BN === '1' ? [tl.layers.batchNormalization()] : []),
    tl.layers.maxPooling2d({ poolSize: 2 }),
    tl.layers.flatten(),
    tl.layers.dense({ units: 3, activation: 'softmax' }),
  ];
  const m = tl.sequential(layers).to(env.DEVICE ?? 'cpu');
  const optimizer =
    env.OPTIMIZER === 'adam' ? new tl.optim.Adam({ learningRate: 0.01 }) : new tl.optim.SGD({ learningRate: 0.1, momentum: 0.9 });
  m.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

function data() {
  tl.manualSeed(11);
  const n = Number(env.EXAMPLES ?? 640);
  return { x: tl.randn([n, 6, 6, 2]), y: tl.randint(0, 3, [n]) };
}

async function fit(callbacks = []) {
  // A checkpoint per epoch, named after the rank that would write it: rank 0 alone does.
  if (env.CHECKPOINT === '1')
    callbacks.push(new tl.ModelCheckpoint({ filepath: join(env.OUT_DIR, `ckpt-rank${rank}-{epoch}.safetensors`), saveWeightsOnly: true }));
  const m = model();
  const { x, y } = data();
  let output = '';
  const history = await m.fit(x, y, {
    epochs: Number(env.EPOCHS ?? 1),
    batchSize: Number(env.BATCH ?? 32),
    verbose: 2,
    output: { write: (s) => (output += s) },
    distributed: distributed ? { bucketCapMb: Number(env.BUCKET_MB ?? 25) } : false,
    callbacks,
  });
  result.history = history.history;
  result.output = output;
  result.weights = m.getWeights().map((w) => Array.from(w.toArray().flat(9)));
  if (distributed) result.stats = tl.distributed.stats();
}

try {
  if (mode === 'collectives') {
    await tl.distributed.init();
    const world = tl.distributed.worldSize;
    result.info = { rank: tl.distributed.rank, worldSize: world, backend: tl.distributed.backend, initialized: tl.distributed.initialized };
    result.sum = (await tl.distributed.allReduce(tl.full([3], rank + 1))).toArray();
    result.mean = (await tl.distributed.allReduce(tl.full([2], rank + 1), { op: 'mean' })).toArray();
    result.max = (await tl.distributed.allReduce(tl.tensor([rank, -rank]), { op: 'max' })).toArray();
    // A non-contiguous tensor is reduced in place too.
    const t = tl
      .tensor([
        [1, 2],
        [3, 4],
      ])
      .transpose(0, 1);
    await tl.distributed.allReduce(t);
    result.transposed = t.toArray();
    result.broadcast = (await tl.distributed.broadcast(tl.full([2], rank * 10), { src: world - 1 })).toArray();
    result.gathered = (await tl.distributed.allGather(tl.full([2], rank))).map((g) => g.toArray());
    await tl.distributed.barrier();
    result.errors = [];
    for (const bad of [
      () => tl.distributed.broadcast(tl.zeros([1]), { src: world }),
      () => tl.distributed.allReduce(tl.zeros([1]), { op: 'avg' }),
      () => tl.distributed.allReduce('x'),
    ]) {
      try {
        await bad();
      } catch (e) {
        result.errors.push(e.message);
      }
    }
    tl.distributed.destroy();
    result.afterDestroy = { initialized: tl.distributed.initialized, rank: tl.distributed.rank, worldSize: tl.distributed.worldSize };
  } else if (mode === 'fit') {
    await fit();
  } else if (mode === 'nccl') {
    // A group of one on NCCL (a machine with one GPU): a collective, then fit, on this rank's GPU.
    await tl.distributed.init({ backend: 'nccl' });
    result.info = { backend: tl.distributed.backend, device: tl.distributed.device };
    result.sum = (await tl.distributed.allReduce(tl.full([3], 2, { device: tl.distributed.device }))).toArray();
    await fit();
  } else if (mode === 'die' || mode === 'hang') {
    const victim = Number(env.VICTIM ?? 1);
    await fit([
      {
        onBatchEnd: (batch) => {
          if (rank !== victim || batch !== 2) return;
          result.stoppedAt = Date.now();
          write();
          if (mode === 'die') process.exit(7);
          for (;;); // the JS thread hangs: this rank never reaches the next step's reduction
        },
      },
    ]);
  } else if (mode === 'init') {
    await tl.distributed.init();
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} catch (error) {
  result.error = error.message;
  console.error(error.message);
  result.failedAt = Date.now();
  process.exitCode = 1;
}
write();
