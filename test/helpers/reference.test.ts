// The comparison every numeric test rests on must be able to fail.
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { closeness, expectClose, type RefTensor } from './reference.js';

const ref = (values: number[]): RefTensor => ({
  dtype: 'float32',
  shape: [values.length],
  base64: Buffer.from(new Float32Array(values).buffer).toString('base64'),
});

describe('expectClose', () => {
  it('passes within atol + rtol·|expected|, and for matching NaNs and infinities', () => {
    expect(() => expectClose(tl.tensor([1, 2.00001, NaN, Infinity, -Infinity]), ref([1, 2, NaN, Infinity, -Infinity]))).not.toThrow();
  });

  it.each([
    ['an infinite expectation against a finite value', [5], [Infinity]],
    ['an infinite expectation against the other infinity', [-Infinity], [Infinity]],
    ['a finite expectation against an infinity', [Infinity], [5]],
    ['a NaN where a number is expected', [NaN], [1]],
    ['a number where NaN is expected', [1], [NaN]],
    ['a value outside the tolerance', [1.001], [1]],
  ])('fails for %s', (_what, got, want) => {
    expect(() => expectClose(tl.tensor(got), ref(want))).toThrowError(/element 0: got/);
  });

  it('fails on another shape or dtype', () => {
    expect(() => expectClose(tl.tensor([1, 2]), ref([1, 2, 3]))).toThrow();
    expect(() => expectClose(tl.tensor([1, 2], undefined, { dtype: 'float64' }), ref([1, 2]))).toThrow();
  });

  it('measures the excess beyond the tolerance', () => {
    expect(closeness(1.5, 1, 0.1, 0.1)).toBeCloseTo(0.3, 12);
    expect(closeness(1.05, 1, 0.1, 0)).toBeLessThan(0);
  });
});
