// Reads the PyTorch reference fixtures written by scripts/reference/generate.py and compares
// torchlet tensors with them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, inject } from 'vitest';
import * as tl from '../../lib/index.js';

/** A tensor as PyTorch wrote it. */
export interface RefTensor {
  dtype: tl.Dtype;
  shape: number[];
  base64: string;
}

export type RefValue = RefTensor | number | string | boolean | RefValue[] | { [key: string]: RefValue };

const ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  bool: Uint8Array,
} as const;

/** The Python with the PyTorch the tests compare against (chosen by test/setup/reference.ts). */
export function oraclePython(): string {
  return inject('oraclePython');
}

/** The values of one reference suite (scripts/reference/SUITE.py). */
export function loadReference(suite: string): Record<string, RefValue> {
  const file = join(inject('fixtureDir'), `${suite}.json`);
  return JSON.parse(readFileSync(file, 'utf8')).values;
}

/** The values of one Keras reference suite (scripts/keras-reference/SUITE.py). */
export function loadKerasReference(suite: string): Record<string, RefValue> {
  const file = join(inject('kerasFixtureDir'), `${suite}.json`);
  return JSON.parse(readFileSync(file, 'utf8')).values;
}

export function isRefTensor(value: unknown): value is RefTensor {
  return typeof value === 'object' && value !== null && 'base64' in value;
}

/** The raw values of a reference tensor. */
export function refData(ref: RefValue): ArrayLike<number | bigint> {
  if (!isRefTensor(ref)) throw new Error(`not a reference tensor: ${JSON.stringify(ref).slice(0, 80)}`);
  const bytes = Buffer.from(ref.base64, 'base64');
  const copy = new Uint8Array(bytes).buffer; // aligned copy
  const Array = ARRAYS[ref.dtype as keyof typeof ARRAYS];
  return new Array(copy);
}

/** A torchlet tensor holding the reference tensor's values. */
export function refTensor(ref: RefValue, options: tl.TensorOptions = {}): tl.Tensor {
  if (!isRefTensor(ref)) throw new Error('not a reference tensor');
  const data = refData(ref) as Float32Array;
  return tl.tensor(data, ref.shape, { dtype: ref.dtype, ...options });
}

/**
 * How far `got` is outside the tolerance around `want`: <= 0 when close. NaN matches only NaN and
 * an infinity only itself (Inf - Inf is NaN, which no comparison would ever count as a miss).
 */
export function closeness(got: number, want: number, atol: number, rtol: number): number {
  if (Number.isNaN(want) || Number.isNaN(got)) return Number.isNaN(want) && Number.isNaN(got) ? 0 : Infinity;
  if (!Number.isFinite(want) || !Number.isFinite(got)) return got === want ? 0 : Infinity;
  return Math.abs(got - want) - (atol + rtol * Math.abs(want));
}

/**
 * Asserts that `actual` has the reference's shape and dtype, and that every element is within
 * atol + rtol * |expected| (defaults 1e-5 and 1e-5; exact for integer and bool tensors).
 */
export function expectClose(actual: tl.Tensor, expected: RefValue, tol: { atol?: number; rtol?: number } = {}): void {
  if (!isRefTensor(expected)) throw new Error('not a reference tensor');
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.dtype).toBe(expected.dtype);
  const got = actual.data();
  const want = refData(expected);
  const atol = tol.atol ?? 1e-5;
  const rtol = tol.rtol ?? 1e-5;
  let worst = { index: -1, excess: 0 };
  for (let i = 0; i < want.length; i++) {
    const excess = closeness(Number(got[i]), Number(want[i]), atol, rtol);
    if (excess > worst.excess) worst = { index: i, excess };
  }
  if (worst.index >= 0) {
    const i = worst.index;
    expect.fail(`element ${i}: got ${got[i]}, expected ${want[i]} (atol ${atol}, rtol ${rtol}); shape [${expected.shape}]`);
  }
}
