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
    expect(() => new tl.TensorDataset(x, tl.arange(9))).toThrowError(/^TensorDataset: y has 9 entries but x has 10 examples/);
    expect(() => new tl.TensorDataset(tl.tensor(1), tl.tensor(2))).toThrowError(/^TensorDataset: x must have a batch dim, got a scalar$/);
  });

  it('rejects what is not a live tensor, naming the argument', () => {
    const disposed = tl.arange(10);
    disposed.dispose();
    for (const bad of ['x', null, {}, Object.create(tl.Tensor.prototype)]) {
      expect(() => new tl.TensorDataset(bad as tl.Tensor, y)).toThrowError(TypeError);
      expect(() => new tl.TensorDataset(bad as tl.Tensor, y)).toThrowError(/^TensorDataset: x must be a Tensor, got /);
      expect(() => new tl.TensorDataset(x, bad as tl.Tensor)).toThrowError(/^TensorDataset: y must be a Tensor, got /);
    }
    expect(() => new tl.TensorDataset(x, disposed)).toThrowError(/^TensorDataset: y is a disposed tensor/);
    expect(() => new tl.TensorDataset(x, y, 'yes' as unknown as boolean)).toThrowError(
      /^TensorDataset: owned must be a boolean, got "yes"$/,
    );
  });

  it('checks the batch options when batches() is called', () => {
    const d = new tl.TensorDataset(x, y);
    const batches = (options: unknown) => () => d.batches(options as tl.BatchOptions);
    expect(batches({ batch_size: 4, shuffle: false, device: 'cpu' })).toThrowError(
      /^TensorDataset\.batches: unknown option 'batch_size' \(options are camelCase here: did you mean 'batchSize'\?\)$/,
    );
    expect(batches({ batchSize: 4, shufle: false, device: 'cpu' })).toThrowError(
      /^TensorDataset\.batches: unknown option 'shufle' \(did you mean 'shuffle'\?\)$/,
    );
    expect(batches(null)).toThrowError(TypeError);
    expect(batches(null)).toThrowError(/^TensorDataset\.batches: options must be a plain object, got null$/);
    expect(batches({ batchSize: 0, shuffle: false, device: 'cpu' })).toThrowError(
      /^TensorDataset\.batches: batchSize must be a positive integer, got 0$/,
    );
    expect(batches({ batchSize: '4', shuffle: false, device: 'cpu' })).toThrowError(TypeError);
    expect(batches({ batchSize: 4, device: 'cpu' })).toThrowError(/^TensorDataset\.batches: shuffle must be a boolean, got undefined$/);
    expect(batches({ batchSize: 4, shuffle: false, device: 'gpu' })).toThrowError(/^TensorDataset\.batches: unknown device 'gpu'/);
  });

  it('splits only at a count from 0 to its size', () => {
    const d = new tl.TensorDataset(x, y);
    expect(() => d.split(11)).toThrowError(/^TensorDataset\.split: count must be at most the size, 10, got 11$/);
    expect(() => d.split(-1)).toThrowError(/^TensorDataset\.split: count must be a non-negative integer, got -1$/);
    expect(() => d.split(1.5)).toThrowError(RangeError);
  });

  it('is recognised as a Dataset', () => {
    expect(tl.isDataset(new tl.TensorDataset(x, y))).toBe(true);
    expect(tl.isDataset(x)).toBe(false);
  });
});
