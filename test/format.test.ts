import { describe, expect, it } from 'vitest';
import * as tl from '../lib/index.js';

describe('toString', () => {
  it('previews small tensors in full, like PyTorch', () => {
    expect(
      tl
        .tensor([
          [1, 2.5],
          [-3, 4],
        ])
        .toString(),
    ).toBe('tensor([[ 1.0000,  2.5000],\n        [-3.0000,  4.0000]], shape=[2, 2], dtype=float32, device=cpu)');
    expect(tl.tensor([1, 2], { dtype: 'int64' }).toString()).toBe('tensor([1, 2], shape=[2], dtype=int64, device=cpu)');
    expect(tl.tensor([true, false]).toString()).toBe('tensor([ true, false], shape=[2], dtype=bool, device=cpu)');
    expect(tl.tensor(3.5).toString()).toBe('tensor(3.5000, shape=[], dtype=float32, device=cpu)');
  });

  it('summarises large tensors with their edges', () => {
    const s = tl.arange(5000).reshape([50, 100]).toString();
    expect(s).toContain('[   0,    1,    2, ...,   97,   98,   99]');
    expect(s).toContain('[4900, 4901, 4902, ..., 4997, 4998, 4999]');
    expect(s).toContain('...,\n');
    expect(s).toMatch(/shape=\[50, 100\], dtype=int64, device=cpu\)$/);
  });
});
