import { describe, expect, it } from 'vitest';
import * as tl from '../lib/index.js';
import { expectClose, loadReference, type RefValue } from './helpers/reference.js';

const random = (loadReference('tensor').expected as Record<string, RefValue>).random as Record<string, RefValue>;

describe('tensor()', () => {
  it('takes a TypedArray and a shape', () => {
    const t = tl.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('takes its dtype from the TypedArray', () => {
    expect(tl.tensor(new Float64Array(2)).dtype).toBe('float64');
    expect(tl.tensor(new Int32Array(2)).dtype).toBe('int32');
    expect(tl.tensor(new BigInt64Array(2)).dtype).toBe('int64');
    expect(tl.tensor(new Uint8Array(2)).dtype).toBe('uint8');
    expect(tl.tensor(new Uint8Array([0, 7]), { dtype: 'bool' }).toArray()).toEqual([false, true]);
  });

  it('copies the data, so later writes to the array do not change the tensor', () => {
    const data = new Float32Array([1, 2]);
    const t = tl.tensor(data);
    data[0] = 99;
    expect(Array.from(t.data())).toEqual([1, 2]);
  });

  it('reads a view into a larger buffer at its offset', () => {
    const buffer = new Float32Array([9, 9, 1, 2, 3, 9]);
    expect(Array.from(tl.tensor(buffer.subarray(2, 5)).data())).toEqual([1, 2, 3]);
  });

  it('infers the shape of nested arrays, and bool from booleans', () => {
    expect(
      tl.tensor([
        [[1], [2]],
        [[3], [4]],
      ]).shape,
    ).toEqual([2, 2, 1]);
    expect(tl.tensor(5).shape).toEqual([]);
    expect(tl.tensor([true, false]).dtype).toBe('bool');
    expect(tl.tensor([1, 2], { dtype: 'int64' }).dtype).toBe('int64');
    expect(tl.tensor([], { dtype: 'float32' }).shape).toEqual([0]);
  });

  it('rejects a TypedArray too short or too long for the shape with a RangeError', () => {
    expect(() => tl.tensor(new Float32Array(5), [2, 3])).toThrowError(RangeError);
    expect(() => tl.tensor(new Float32Array(5), [2, 3])).toThrowError(/tensor: data has 5 elements but shape \[2, 3\] needs 6/);
    expect(() => tl.tensor(new Float32Array(7), [2, 3])).toThrowError(/data has 7 elements but shape \[2, 3\] needs 6/);
    expect(() => tl.tensor([1, 2, 3], [2, 2])).toThrowError(/tensor: data has 3 elements but shape \[2, 2\] needs 4/);
  });

  it('rejects ragged and non-numeric nested arrays', () => {
    expect(() => tl.tensor([[1, 2], [3]])).toThrowError(/ragged nested array at \[1\]: expected 2 elements, got 1 elements/);
    expect(() => tl.tensor([1, 'a'] as unknown as number[])).toThrowError(TypeError);
    expect(() => tl.tensor([1, true])).toThrowError(/mixes numbers and booleans/);
    expect(() => tl.tensor(new Uint16Array(2) as unknown as Uint8Array)).toThrowError(TypeError);
  });
});

describe('factories', () => {
  it('zeros, ones and full fill with the value and default to float32', () => {
    expect(tl.zeros([2, 2]).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(tl.ones([3], { dtype: 'int32' }).data()).toEqual(new Int32Array([1, 1, 1]));
    expect(tl.full([2], 2.5).data()).toEqual(new Float32Array([2.5, 2.5]));
    expect(tl.full([1], true, { dtype: 'bool' }).item()).toBe(true);
    expect(tl.zeros([0, 3]).numel).toBe(0);
  });

  it('arange defaults to int64 for integers and float32 otherwise', () => {
    expect(tl.arange(4).dtype).toBe('int64');
    expect(tl.arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(tl.arange(0, 1, 0.5).dtype).toBe('float32');
    expect(tl.arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(tl.arange(3, { dtype: 'float64' }).dtype).toBe('float64');
  });

  it('rand, randn and randint draw exactly what PyTorch draws after the same seed', () => {
    tl.manualSeed(42);
    expectClose(tl.rand([5]), random.rand, { atol: 0, rtol: 0 });
    expectClose(tl.randn([2, 3]), random.randn, { atol: 0, rtol: 0 });
    expectClose(tl.randint(3, 10, [6]), random.randint, { atol: 0, rtol: 0 });
    expectClose(tl.randperm(7), random.randperm, { atol: 0, rtol: 0 });
  });

  it('rejects negative, fractional and huge sizes with a RangeError', () => {
    expect(() => tl.zeros([-1, 2])).toThrowError(/zeros: argument 'shape' has a negative size: \[-1, 2\]/);
    expect(() => tl.ones([2.5])).toThrowError(/ones: argument 'shape' must hold integers, got 2.5 at index 0/);
    expect(() => tl.rand([1e9, 1e9])).toThrowError(RangeError);
    expect(() => tl.rand([1e9, 1e9])).toThrowError(/rand: argument 'shape' is too large/);
    expect(() => tl.zeros([2 ** 60])).toThrowError(RangeError);
  });

  it('an allocation larger than memory is a catchable Error', () => {
    expect(() => tl.zeros([1e7, 1e7])).toThrowError(/zeros: .*(allocate|memory)/i);
  });

  it('rejects bad ranges and seeds', () => {
    expect(() => tl.randint(5, 5, [2])).toThrowError(/randint: 'high' \(5\) must be greater than 'low' \(5\)/);
    expect(() => tl.arange(0, 5, 0)).toThrowError(/arange: 'step' must not be zero/);
    expect(() => tl.arange(0, 5, -1)).toThrowError(RangeError);
    expect(() => tl.manualSeed(-1)).toThrowError(/manualSeed: 'seed' must be >= 0/);
    expect(() => tl.zeros([2], { dtype: 'complex' as tl.Dtype })).toThrowError(/zeros: unknown dtype 'complex'/);
  });
});
