// worker_threads: terminating a worker while it trains must end that worker only.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dist = join(import.meta.dirname, '..', 'dist', 'index.js');

// A parent that starts a worker training in a loop, terminates it at a different moment each
// time, and says 'survived' if it is still alive after all of them.
const parent = `
import { Worker } from 'node:worker_threads';
const code = \`
import { parentPort } from 'node:worker_threads';
const tl = await import(${JSON.stringify(dist)});
const model = tl.sequential([tl.layers.dense({ units: 64, activation: 'relu', inputShape: [32] }), tl.layers.dense({ units: 10, activation: 'softmax' })]);
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
const x = tl.rand([4096, 32]), y = tl.randint(0, 10, [4096]);
parentPort.postMessage('training');
for (;;) await model.fit(x, y, { epochs: 1, verbose: 0 });
\`;
for (let k = 0; k < 10; k++) {
  const worker = new Worker(code, { eval: true, type: 'module' });
  await new Promise((resolve) => worker.once('message', resolve));
  await new Promise((resolve) => setTimeout(resolve, 20 + 37 * k));
  await worker.terminate();
}
console.log('survived');
`;

describe('worker threads', () => {
  it('terminating a worker during fit, ten times at different moments, never brings down the process', () => {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', parent], { encoding: 'utf8' });
    expect({ status: run.status, signal: run.signal, stdout: run.stdout.trim() }, run.stderr.slice(-2000)).toEqual({
      status: 0,
      signal: null,
      stdout: 'survived',
    });
  }, 120_000);
});
