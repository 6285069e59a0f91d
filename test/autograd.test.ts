import { describe, expect, it } from 'vitest';
import * as tl from '../lib/index.js';

describe('autograd', () => {
  it('computes gradients of a scalar and accumulates them across backward calls', () => {
    const x = tl.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(x).sum(); // dy/dx = 2x
    y.backward(null, { retainGraph: true });
    expect(Array.from(x.grad!.data())).toEqual([2, 4, 6]);
    y.backward();
    expect(Array.from(x.grad!.data())).toEqual([4, 8, 12]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
  });

  it('takes an upstream gradient for a non-scalar output', () => {
    const x = tl.tensor([1, 2], { requiresGrad: true });
    x.mul(3).backward(tl.tensor([1, 10]));
    expect(Array.from(x.grad!.data())).toEqual([3, 30]);
  });

  it('has leaf and non-leaf semantics as in PyTorch', () => {
    const w = tl.randn([3], { requiresGrad: true });
    const h = w.mul(2);
    const h2 = w.mul(3).retainGrad();
    expect(w.isLeaf).toBe(true);
    expect(w.gradFn).toBeNull();
    expect(h.isLeaf).toBe(false);
    expect(h.gradFn).toMatch(/^MulBackward/);
    h.add(h2).sum().backward();
    expect(h.grad).toBeNull(); // non-leaf without retainGrad
    expect(Array.from(h2.grad!.data())).toEqual([1, 1, 1]);
    expect(Array.from(w.grad!.data())).toEqual([5, 5, 5]);
    expect(() => (h.requiresGrad = false)).toThrowError(/setRequiresGrad: requiresGrad can only be changed on a leaf tensor/);
  });

  it('detach() shares storage but leaves the graph', () => {
    const x = tl.ones([2], { requiresGrad: true });
    const d = x.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    expect(Array.from(d.data())).toEqual([2, 2]);
  });

  it('the grad setter replaces a gradient', () => {
    const x = tl.zeros([2], { requiresGrad: true });
    x.grad = tl.tensor([0.5, 1]);
    expect(Array.from(x.grad.data())).toEqual([0.5, 1]);
    expect(() => (x.grad = tl.zeros([3]))).toThrowError(/setGrad: grad of shape \[3\] does not match the tensor's \[2\]/);
  });

  it('only floating-point tensors can require grad', () => {
    expect(() => tl.arange(3).setRequiresGrad()).toThrowError(TypeError);
    expect(() => tl.arange(3).setRequiresGrad()).toThrowError(/only floating-point tensors can require grad, got int64/);
  });

  it('backward on a tensor that needs no grad is a clear error', () => {
    const y = tl.ones([1]).mul(2);
    expect(() => y.backward()).toThrowError(RangeError);
    expect(() => y.backward()).toThrowError(/^backward: backward\(\) on a tensor that does not require grad.*\(self: float32\[1\] cpu\)$/);
  });

  it('backward on a non-scalar without a gradient, or with a wrong one, is a clear error', () => {
    const x = tl.ones([2], { requiresGrad: true });
    expect(() => x.mul(2).backward()).toThrowError(/needs a one-element tensor/);
    expect(() => x.mul(2).backward(tl.ones([3]))).toThrowError(/gradient of shape \[3\] does not match the tensor's \[2\]/);
  });

  it('a second backward through a freed graph is a clear error, not a crash', () => {
    const x = tl.ones([2], { requiresGrad: true });
    const y = x.exp().sum();
    y.backward();
    expect(() => y.backward()).toThrowError(/backward: Trying to backward through the graph a second time/);
  });
});

describe('noGrad', () => {
  it('records no graph inside, and restores the mode after', () => {
    const w = tl.ones([2], { requiresGrad: true });
    const inside = tl.noGrad(() => {
      expect(tl.isGradEnabled()).toBe(false);
      return w.mul(2);
    });
    expect(inside.requiresGrad).toBe(false);
    expect(tl.isGradEnabled()).toBe(true);
    expect(w.mul(2).requiresGrad).toBe(true);
  });

  it('follows an async fn across awaits without leaking into concurrent code', async () => {
    const w = tl.ones([2], { requiresGrad: true });
    let concurrent: tl.Tensor | undefined;
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        concurrent = w.mul(3);
        resolve();
      }, 5),
    );
    const afterAwait = await tl.noGrad(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return w.mul(2);
    });
    await timer;
    expect(afterAwait.requiresGrad).toBe(false);
    expect(concurrent!.requiresGrad).toBe(true);
  });

  it('enableGrad() turns recording back on inside noGrad()', () => {
    const w = tl.ones([2], { requiresGrad: true });
    const y = tl.noGrad(() => tl.enableGrad(() => w.mul(2)));
    expect(y.requiresGrad).toBe(true);
  });
});
