// How free the event loop stays while a model trains: `fit` of the reference CNN on random
// CIFAR-shaped data, with an HTTP server in the same process answering a client in another
// process, a 10 ms interval timer and Node's event-loop delay histogram. Runs once with steps off
// the JS thread (the default) and once with compile({ runEagerly: true }), and prints both.
//   node scripts/bench/event-loop.mjs [--steps 300] [--batch-size 32] [--json file]
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as tl from '../../dist/index.js';

const { values: a } = parseArgs({
  options: {
    steps: { type: 'string', default: '300' },
    'batch-size': { type: 'string', default: '32' },
    json: { type: 'string' },
  },
});
const steps = Number(a.steps);
const batchSize = Number(a['batch-size']);
if (!(Number.isInteger(steps) && steps > 0 && Number.isInteger(batchSize) && batchSize > 0)) {
  console.error('event-loop: --steps and --batch-size must be positive integers');
  process.exit(2);
}

// The client: sequential GETs, one every 5 ms, in its own process (its timing is not ours).
const CLIENT = `
const http = require('node:http');
const [port, ms] = process.argv.slice(1).map(Number);
const latencies = [];
let stop = false;
process.on('message', () => { stop = true; });
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
(function next() {
  if (stop) return process.send(latencies, () => process.exit(0));
  const start = performance.now();
  http.get({ port, host: '127.0.0.1', path: '/', agent }, (res) => {
    res.resume();
    res.on('end', () => { latencies.push(performance.now() - start); setTimeout(next, ms); });
  }).on('error', () => setTimeout(next, ms));
})();`;

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function measure(runEagerly) {
  const model = tl.referenceCnn();
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], runEagerly });
  const [h, w, c] = model.inputShape;
  const data = new tl.ImageDataset(
    tl.randint(0, 256, [steps * batchSize, h, w, c], { dtype: 'uint8' }),
    tl.randint(0, 10, [steps * batchSize]),
  );
  await model.fit(data.take(Math.min(20, steps) * batchSize), { batchSize, verbose: 0 }); // warm-up: traces, kernels, caches

  const server = createServer((req, res) => res.end('ok'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = spawn(process.execPath, ['-e', CLIENT, String(server.address().port), '5'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  delay.enable();
  const start = performance.now();
  await model.fit(data, { batchSize, verbose: 0 });
  const seconds = (performance.now() - start) / 1000;
  delay.disable();
  clearInterval(timer);
  const latencies = await new Promise((resolve) => {
    client.once('message', resolve);
    client.send('stop');
  });
  server.close();
  model.dispose();
  data.dispose();
  const sorted = latencies.sort((x, y) => x - y);
  return {
    mode: runEagerly ? 'eager (runEagerly)' : 'off the JS thread',
    msPerStep: (seconds * 1000) / steps,
    loopDelayMs: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
    timerFiredPercent: (100 * ticks) / (seconds * 100),
    http: { requests: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] },
  };
}

const results = [];
for (const runEagerly of [false, true]) results.push(await measure(runEagerly));
const f = (x) => x.toFixed(2);
console.log(`reference CNN, fit, batch ${batchSize}, ${steps} steps, ${tl.getNumThreads()} threads (${tl.backendInfo().torchVersion})`);
console.log('| mode | ms/step | loop delay p50 / p99 / max (ms) | 10 ms timer fired | HTTP p50 / p99 / max (ms) |');
console.log('|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.mode} | ${f(r.msPerStep)} | ${f(r.loopDelayMs.p50)} / ${f(r.loopDelayMs.p99)} / ${f(r.loopDelayMs.max)} | ${r.timerFiredPercent.toFixed(0)}% | ${f(r.http.p50)} / ${f(r.http.p99)} / ${f(r.http.max)} (${r.http.requests} requests) |`,
  );
}
if (a.json) writeFileSync(a.json, JSON.stringify(results, null, 2));
