import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';

describe('TensorDataset', () => {
  const x = tl.arange(10 * 2 * 2 * 3, { dtype: 'float32' }).reshape([10, 2, 2, 3]);
  const y = tl.arange(10);

  it('yields batches in order, images as NCHW views of NHWC memory', () => {
    const d = new tl.TensorDataset(x, y);
    expect(d.size).toBe(10);
    expect(d.inputShape).toEqual([2, 2, 3]);
    const batches = [...d.batches({ batchSize: 4, shuffle: false, device: 'cpu' })];
    expect(batches.map((b) => b.y.toArray())).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    const first = batches[0].x;
    expect(first.shape).toEqual([4, 3, 2, 2]);
    expect(first.isContiguous('channelsLast')).toBe(true);
    expect(first.permute([0, 2, 3, 1]).data()).toEqual(x.narrow(0, 0, 4).data());
  });

  it('shuffles with a fresh permutation per pass, keeping x and y paired', () => {
    const d = new tl.TensorDataset(x, y);
    const order = () => [...d.batches({ batchSize: 10, shuffle: true, device: 'cpu' })][0];
    tl.manualSeed(1);
    const a = order();
    const b = order();
    const labels = a.y.toArray() as number[];
    expect([...labels].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(labels).not.toEqual(b.y.toArray());
    // Example k of x holds the values 12k .. 12k + 11, so its first value identifies it.
    const firsts = a.x.permute([0, 2, 3, 1]).reshape([10, 12]).narrow(1, 0, 1).squeeze(1).toArray() as number[];
    expect(firsts).toEqual(labels.map((k) => 12 * k));
  });

  it('splits into views and frees what it owns', () => {
    const d = new tl.TensorDataset(x, y);
    const [a, b] = d.split(7);
    expect([a.size, b.size]).toEqual([7, 3]);
    expect(b.y.toArray()).toEqual([7, 8, 9]);
    a.dispose();
    expect(a.x.isDisposed).toBe(true);
    expect(x.isDisposed).toBe(false);
  });

  it('rejects x and y of different lengths', () => {
    expect(() => new tl.TensorDataset(x, tl.arange(9))).toThrowError(/^y has 9 entries but x has 10 examples/);
  });

  it('is recognised as a Dataset', () => {
    expect(tl.isDataset(new tl.TensorDataset(x, y))).toBe(true);
    expect(tl.isDataset(x)).toBe(false);
  });
});
