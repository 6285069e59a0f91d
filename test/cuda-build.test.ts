// A CUDA build of the addon (PyTorch with CUDA, e.g. 2.14.1+cu130) on a machine without a GPU, as
// CI builds it: it links libtorch_cuda, trains on the CPU, and every CUDA option fails clearly.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../lib/cli/main.js';
import * as tl from '../lib/index.js';
import { native } from '../lib/native.js';

const info = tl.backendInfo();
const noGpu = /device 'cuda(:0)?' requested but CUDA is not available: no CUDA GPU is visible/;

describe.runIf(info.cudaBuild && !info.cudaAvailable)('a CUDA build without a GPU', () => {
  it('binds both c10d backends: NCCL (compiled and linked), and Gloo, which init() picks without a GPU', () => {
    expect([native.distributedAvailable, native.ncclAvailable]).toEqual([true, true]);
    expect(tl.distributed.device).toBe('cpu');
  });

  it('links libtorch_cuda (kept by --no-as-needed) and reports no GPU', () => {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    expect(maps).toMatch(/\/libtorch_cuda\.so/);
    expect(maps).toMatch(/\/libc10_cuda\.so/);
    expect(info).toMatchObject({ cudaBuild: true, cudaAvailable: false, cudaDeviceCount: 0 });
    expect(tl.defaultDevice()).toBe('cpu');
  });

  it('trains a few steps on the CPU, also with the CUDA-only compile options', async () => {
    tl.manualSeed(0);
    const model = tl.referenceCnn();
    model.compile({
      optimizer: 'adam',
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
      cudaGraph: true,
      mixedPrecision: 'bf16',
    });
    const x = tl.rand([64, 32, 32, 3]);
    const y = tl.randint(0, 10, [64]);
    const history = await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    expect(history.history.loss).toHaveLength(2);
    expect(history.history.loss.every(Number.isFinite)).toBe(true);
    expect(model.getWeights()[0].device).toBe('cpu');
  });

  it('every way to ask for CUDA is an Error that says no GPU is visible', async () => {
    expect(() => tl.zeros([2], { device: 'cuda' })).toThrowError(noGpu);
    expect(() => tl.randn([2]).cuda()).toThrowError(noGpu);
    expect(() => tl.cuda.memory()).toThrowError(noGpu);
    expect(() => native.cudaGraph('cuda')).toThrowError(noGpu);
    const model = tl.sequential([tl.layers.dense({ units: 2, inputShape: [3] })]);
    expect(() => model.to('cuda')).toThrowError(noGpu);
    const err: string[] = [];
    const sink = { write: (chunk: string) => err.push(chunk) } as unknown as NodeJS.WritableStream;
    expect(await main(['train-cifar10', '--synthetic', '--device', 'cuda'], sink, sink)).not.toBe(0);
    expect(err.join('')).toMatch(noGpu);
  });
});
