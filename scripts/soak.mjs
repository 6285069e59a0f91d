// Soak: runs long loops and reports whether memory stays flat. Each workload runs in a process of
// its own; RSS is sampled after a warm-up (the first 10% of the iterations) and then every 5%,
// each time after a full GC (and the Node-API finalizers it queues), so that what is measured is
// memory still held (leaks, fragmentation), not garbage that the next GC would free.
//   node scripts/soak.mjs [--iterations N] [--workloads LIST] [--json FILE]   (npm run soak)
// Workloads: tidy (a hand-written forward, backward and Adam loop on a small CNN), predict
// (predict + dispose), evaluate, models (N / 50 reference CNNs compiled, stepped and disposed).
// A workload passes when its RSS stays within +15% of the post-warm-up figure and it leaves no
// live tensor and no optimizer state behind. The exit code is 1 when one does not.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    iterations: { type: 'string', default: '10000' },
    workloads: { type: 'string', default: 'tidy,predict,evaluate,models' },
    json: { type: 'string' },
    child: { type: 'string' }, // internal: the workload this process runs
  },
});
const iterations = Number(opts.iterations);
const MAX_GROWTH = 0.15;

if (opts.child) await child(opts.child);
else parent();

function parent() {
  const results = [];
  for (const workload of opts.workloads.split(',')) {
    const run = spawnSync(
      process.execPath,
      ['--expose-gc', fileURLToPath(import.meta.url), '--iterations', String(iterations), '--child', workload],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    if (run.status !== 0) throw new Error(`soak: workload ${workload} failed (exit ${run.status}, signal ${run.signal})`);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1));
    result.pass = result.growth <= MAX_GROWTH && result.tensorsLeft === 0 && result.optimizerStateBytesLeft === 0;
    results.push(result);
    const mb = (b) => `${(b / 2 ** 20).toFixed(0)} MB`;
    console.log(
      `soak: ${workload.padEnd(8)} ${String(result.iterations).padStart(6)} iterations, ${result.msPerIteration.toFixed(2)} ms each: ` +
        `RSS ${mb(result.rssAfterWarmup)} after warm-up, max ${mb(result.rssMax)} (${result.growth >= 0 ? '+' : ''}${(100 * result.growth).toFixed(1)}%), ` +
        `${result.tensorsLeft} tensors and ${result.optimizerStateBytesLeft} bytes of optimizer state left: ${result.pass ? 'flat' : 'NOT FLAT'}`,
    );
  }
  if (opts.json) writeFileSync(opts.json, JSON.stringify(results, null, 2) + '\n');
  process.exitCode = results.every((r) => r.pass) ? 0 : 1;
}

async function child(workload) {
  const tl = await import('../dist/index.js');
  const { ops } = tl;
  tl.manualSeed(0);
  const startTensors = tl.memory().tensors;
  // Tensors and models alike: each has dispose().
  const release = (...things) => things.forEach((t) => t.dispose());
  const steps = {
    tidy: () => {
      const x = tl.rand([32, 3, 32, 32]);
      const y = tl.randint(0, 10, [32]);
      // tidy frees the randn temporaries and returns the parameters.
      const [w1, b1, w2, b2] = tl.tidy(() =>
        [tl.randn([32, 3, 3, 3]).mul(0.1), tl.zeros([32]), tl.randn([10, 32 * 15 * 15]).mul(0.01), tl.zeros([10])].map((p) =>
          p.setRequiresGrad(),
        ),
      );
      const opt = new tl.optim.Adam([w1, b1, w2, b2]);
      return {
        count: iterations,
        step: () =>
          tl.tidy(() => {
            const h = ops.maxPool2d(ops.relu(ops.conv2d(x, w1, b1)), 2).flatten(1);
            const loss = ops.crossEntropy(ops.linear(h, w2, b2), y);
            opt.zeroGrad();
            loss.backward();
            opt.step();
          }),
        end: () => {
          opt.dispose();
          release(x, y, w1, b1, w2, b2);
        },
      };
    },
    predict: () => {
      const model = tl.referenceCnn();
      const x = tl.rand([64, 32, 32, 3]);
      return { count: iterations, step: async () => (await model.predict(x)).dispose(), end: () => release(model, x) };
    },
    evaluate: () => {
      const model = tl.referenceCnn();
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const [x, y] = [tl.rand([64, 32, 32, 3]), tl.randint(0, 10, [64])];
      return { count: iterations, step: () => model.evaluate(x, y), end: () => release(model, x, y) };
    },
    models: () => {
      const [x, y] = [tl.rand([32, 32, 32, 3]), tl.randint(0, 10, [32])];
      return {
        count: Math.max(20, Math.round(iterations / 50)),
        step: async () => {
          const model = tl.referenceCnn();
          model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
          await model.trainOnBatch(x, y);
          model.dispose();
        },
        end: () => release(x, y),
      };
    },
  };
  if (!Object.hasOwn(steps, workload)) throw new Error(`soak: unknown workload '${workload}' (known: ${Object.keys(steps).join(', ')})`);
  const { count, step, end } = steps[workload]();
  const warmup = Math.max(1, Math.round(count / 10));
  const sampleEvery = Math.max(1, Math.round(count / 20));
  let rssAfterWarmup = 0;
  let rssMax = 0;
  let heapAfterWarmup = 0;
  const settled = async () => {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve)); // the finalizers run from the event loop
    return process.memoryUsage();
  };
  let stepping = 0;
  for (let i = 1; i <= count; i++) {
    const t = performance.now();
    await step();
    stepping += performance.now() - t;
    if (i === warmup) ({ rss: rssAfterWarmup, heapTotal: heapAfterWarmup } = await settled());
    if (i > warmup && (i % sampleEvery === 0 || i === count)) rssMax = Math.max(rssMax, (await settled()).rss);
  }
  const msPerIteration = stepping / count;
  end();
  const memory = tl.memory();
  console.log(
    JSON.stringify({
      workload,
      iterations: count,
      msPerIteration,
      rssAfterWarmup,
      rssMax,
      growth: rssMax / rssAfterWarmup - 1,
      // V8's heap is part of RSS: its growth, apart, tells JS garbage from native memory.
      heapAfterWarmup,
      heapAtEnd: process.memoryUsage().heapTotal,
      tensorsLeft: memory.tensors - startTensors,
      optimizerStateBytesLeft: memory.optimizerStateBytes,
      hostCachedBytes: memory.hostCachedBytes,
    }),
  );
}
