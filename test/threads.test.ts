// The intra-op threads of the compute threads (native/compute-thread.cc): an equal share of the
// cores among the threads that load torchlet, unless a count was set. In a file of its own: the
// count set by other tests would stay.
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
});
