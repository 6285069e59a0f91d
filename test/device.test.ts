import { describe, expect, it } from 'vitest';
import * as tl from '../lib/index.js';

describe('device and threads', () => {
  it('reports CUDA availability consistently', () => {
    expect(typeof tl.cuda.isAvailable()).toBe('boolean');
    expect(tl.cuda.deviceCount() > 0).toBe(tl.cuda.isAvailable());
    expect(tl.defaultDevice()).toBe(tl.cuda.isAvailable() ? 'cuda' : 'cpu');
  });

  it('defaults the thread count to the cores, or TORCHLET_NUM_THREADS', async () => {
    const { availableParallelism } = await import('node:os');
    const wanted = Number(process.env.TORCHLET_NUM_THREADS ?? process.env.OMP_NUM_THREADS ?? availableParallelism());
    expect(tl.getNumThreads()).toBe(wanted);
  });

  it('setNumThreads changes the thread count and rejects nonsense', () => {
    const before = tl.getNumThreads();
    tl.setNumThreads(1);
    expect(tl.getNumThreads()).toBe(1);
    tl.setNumThreads(before);
    expect(() => tl.setNumThreads(0)).toThrowError(RangeError);
    expect(() => tl.setNumThreads(0)).toThrowError(/setNumThreads: 'n' must be between 1 and 4096, got 0/);
  });

  it('describes the loaded libtorch', () => {
    const info = tl.backendInfo();
    expect(info.torchVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(['LIBTORCH', 'python', 'system']).toContain(info.libtorchSource);
    expect(info.cudaAvailable).toBe(tl.cuda.isAvailable());
    expect(info.threads).toBe(tl.getNumThreads());
  });
});

describe.skipIf(!tl.cuda.isAvailable())('on CUDA', () => {
  it('moves tensors to the GPU and back unchanged', () => {
    const t = tl.randn([64, 33]);
    const g = t.cuda();
    expect(g.device).toBe('cuda:0');
    expect(g.cpu().data()).toEqual(t.data());
  });

  it('computes on the GPU what the CPU computes', () => {
    const a = tl.randn([32, 16]);
    const b = tl.randn([16, 8]);
    const onGpu = a.cuda().matmul(b.cuda()).cpu().data();
    const onCpu = a.matmul(b).data();
    onCpu.forEach((v, i) => expect(Math.abs(Number(v) - Number(onGpu[i]))).toBeLessThan(2e-2 + 2e-3 * Math.abs(Number(v))));
  });

  it('reports CUDA memory', () => {
    const t = tl.zeros([1 << 20], { device: 'cuda' });
    expect(tl.cuda.memory().allocated).toBeGreaterThanOrEqual(4 << 20);
    expect(tl.memory().cuda?.allocated).toBeGreaterThanOrEqual(4 << 20);
    t.dispose();
  });

  it('an out-of-memory error is a catchable Error, and training goes on afterwards', () => {
    expect(() => tl.zeros([1 << 30, 1 << 10], { device: 'cuda' })).toThrowError(/zeros: .*out of memory/i);
    const after = tl.randn([64, 64], { device: 'cuda' }).matmul(tl.randn([64, 64], { device: 'cuda' }));
    expect(after.shape).toEqual([64, 64]);
  });

  it('rejects a device index that does not exist', () => {
    expect(() => tl.zeros([1], { device: `cuda:${tl.cuda.deviceCount()}` as tl.Device })).toThrowError(RangeError);
  });
});
