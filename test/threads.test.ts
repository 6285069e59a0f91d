// The intra-op threads of the compute threads (native/compute-thread.cc): an equal share of the
// cores among the threads that load torchlet, unless a count was set. In a file of its own: the
// count set by other tests would stay.
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import * as tl from '../lib/index.js';

describe('threads', () => {
  it('share the cores among the threads that train, and keep a count that was set', async () => {
    const cores = availableParallelism();
    expect(tl.getNumThreads()).toBe(cores); // this thread alone
    const worker = new Worker(
      `import('${new URL('../dist/index.js', import.meta.url).href}').then((tl) => {
         require('node:worker_threads').parentPort.postMessage(tl.getNumThreads());
         return new Promise((r) => require('node:worker_threads').parentPort.once('message', r));
       });`,
      { eval: true },
    );
    const inWorker = await new Promise((resolve) => worker.once('message', resolve));
    const share = Math.max(1, Math.floor(cores / 2));
    expect(inWorker).toBe(share);
    expect(tl.getNumThreads()).toBe(share);
    worker.postMessage('done');
    await new Promise((resolve) => worker.once('exit', resolve));
    expect(tl.getNumThreads()).toBe(cores);
    tl.setNumThreads(1);
    expect(tl.getNumThreads()).toBe(1);
    tl.setNumThreads(cores);
  });

  // Calls from JS run on the JS thread with one thread (compute-thread.cc). A torchlet kernel that
  // splits its work (at::parallel_for, compiled into the addon) must not give that thread a team
  // of OpenMP workers: with more OpenMP threads than cores, every parallel region sleeps and wakes
  // its workers.
  it.runIf(existsSync('/proc/self/task') && availableParallelism() > 1)('keeps calls on the JS thread on one thread', async () => {
    // A job on the compute thread first: it sets libtorch's thread count, which a thread's first
    // parallel call then applies to itself.
    const model = tl.sequential([tl.layers.dense({ units: 4, inputShape: [3] })]);
    (await model.predict(tl.randn([2, 3]))).dispose();
    const threads = () => readdirSync('/proc/self/task').length;
    const x = tl.randn([8, 8, 8, 32]).permute([0, 3, 1, 2]);
    x.requiresGrad = true;
    const before = threads();
    for (let i = 0; i < 3; i++) {
      tl.ops.maxPool2d(x, 2).sum().backward(); // max pooling's own kernels, parallel_for in the addon
      tl.noGrad(() => tl.ops.conv2dReluMaxPool(x.detach().slice(1, 0, 3), tl.randn([16, 3, 3, 3]), null, {}, 2));
      tl.randn([256, 1024]).add(1).sum(); // then libtorch's own parallel ops on this thread
    }
    expect(threads()).toBe(before);
  });
});
