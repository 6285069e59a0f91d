// Tensor factories: from JS data, constants, ranges and random draws.
import { native } from './native.js';
import { run, type Device, type Dtype, type NestedArray, type Tensor } from './tensor.js';

/**
 * Where and how to create a tensor: dtype (default float32, int64 for integer ranges and
 * randint), device (default 'cpu'), and requiresGrad (default false).
 */
export interface TensorOptions {
  dtype?: Dtype;
  device?: Device;
  requiresGrad?: boolean;
}

function withGrad(tensor: Tensor, options: TensorOptions | undefined): Tensor {
  if (options?.requiresGrad) tensor.setRequiresGrad(true);
  return tensor;
}

/** Data a tensor can be made from. */
export type TensorData =
  Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint8ClampedArray | NestedArray;

/**
 * A tensor holding a copy of `data`.
 *
 * - A TypedArray takes its dtype from the array (Float32Array → float32, BigInt64Array → int64,
 *   Uint8Array → uint8, or bool with `dtype: 'bool'`) and `shape` (default: one dimension).
 * - A number, boolean or nested array infers its shape from the nesting; numbers default to
 *   float32, booleans to bool.
 *
 * `shape` may be passed as the second argument: `tensor(new Float32Array(6), [2, 3])`.
 */
export function tensor(data: TensorData, shape?: number[], options?: TensorOptions): Tensor;
export function tensor(data: TensorData, options?: TensorOptions & { shape?: number[] }): Tensor;
export function tensor(
  data: TensorData,
  shapeOrOptions?: number[] | (TensorOptions & { shape?: number[] }),
  options: TensorOptions = {},
): Tensor {
  const opts = Array.isArray(shapeOrOptions) ? { ...options, shape: shapeOrOptions } : { ...options, ...shapeOrOptions };
  if (ArrayBuffer.isView(data)) {
    const array = data;
    return withGrad(run(native.tensor, array, opts.shape ?? [array.length], opts.dtype, opts.device), opts);
  }
  const { values, shape, booleans } = flatten(data);
  if (opts.shape !== undefined) {
    const wanted = opts.shape.reduce((a, b) => a * b, 1);
    if (wanted !== values.length) {
      throw new RangeError(`tensor: data has ${values.length} elements but shape [${opts.shape.join(', ')}] needs ${wanted}`);
    }
  }
  const typed = booleans ? Uint8Array.from(values, Number) : Float64Array.from(values, Number);
  return withGrad(run(native.tensor, typed, opts.shape ?? shape, opts.dtype ?? (booleans ? 'bool' : 'float32'), opts.device), opts);
}

// Flattens nested arrays row-major, checking that they are rectangular and hold one kind of value.
function flatten(data: NestedArray): { values: (number | boolean)[]; shape: number[]; booleans: boolean } {
  const shape: number[] = [];
  for (let level: NestedArray = data; Array.isArray(level); level = level[0]) shape.push(level.length);
  const values: (number | boolean)[] = [];
  // The data comes from JS: a node may be anything.
  const walk = (node: unknown, dim: number, path: number[]): void => {
    if (dim === shape.length) {
      if (Array.isArray(node)) throw new RangeError(`tensor: ragged nested array: too deep at [${path.join(', ')}]`);
      if (typeof node !== 'number' && typeof node !== 'boolean') {
        throw new TypeError(
          `tensor: elements must be numbers or booleans, got ${node === null ? 'null' : typeof node} at [${path.join(', ')}]`,
        );
      }
      values.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[dim]) {
      const got = Array.isArray(node) ? `${node.length} elements` : typeof node;
      throw new RangeError(`tensor: ragged nested array at [${path.join(', ')}]: expected ${shape[dim]} elements, got ${got}`);
    }
    node.forEach((child: unknown, k) => walk(child, dim + 1, [...path, k]));
  };
  walk(data, 0, []);
  const booleans = values.length > 0 && values.every((v) => typeof v === 'boolean');
  if (!booleans && values.some((v) => typeof v === 'boolean')) {
    throw new TypeError('tensor: nested array mixes numbers and booleans');
  }
  return { values, shape, booleans };
}

/** A tensor of zeros (default dtype float32). */
export function zeros(shape: number[], options: TensorOptions = {}): Tensor {
  return withGrad(run(native.zeros, shape, options.dtype, options.device), options);
}

/** A tensor of ones (default dtype float32). */
export function ones(shape: number[], options: TensorOptions = {}): Tensor {
  return withGrad(run(native.ones, shape, options.dtype, options.device), options);
}

/** A tensor filled with `value` (default dtype float32). */
export function full(shape: number[], value: number | boolean, options: TensorOptions = {}): Tensor {
  return withGrad(run(native.full, shape, value, options.dtype, options.device), options);
}

/**
 * Evenly spaced values in [start, end): `arange(5)`, `arange(1, 5)`, `arange(0, 1, 0.25)`.
 * The dtype defaults to int64 when all arguments are integers, else float32.
 */
export function arange(end: number, options?: TensorOptions): Tensor;
export function arange(start: number, end: number, step?: number, options?: TensorOptions): Tensor;
export function arange(a: number, b?: number | TensorOptions, c?: number, d: TensorOptions = {}): Tensor {
  if (typeof b !== 'number') return run(native.arange, 0, a, 1, b?.dtype, b?.device);
  return run(native.arange, a, b, c ?? 1, d.dtype, d.device);
}

/** Uniform random values in [0, 1) (default dtype float32). */
export function rand(shape: number[], options: TensorOptions = {}): Tensor {
  return withGrad(run(native.rand, shape, options.dtype, options.device), options);
}

/** Standard normal random values (default dtype float32). */
export function randn(shape: number[], options: TensorOptions = {}): Tensor {
  return withGrad(run(native.randn, shape, options.dtype, options.device), options);
}

/** Random integers in [low, high) (default dtype int64). */
export function randint(low: number, high: number, shape: number[], options: TensorOptions = {}): Tensor {
  return run(native.randint, low, high, shape, options.dtype, options.device);
}

/** A random permutation of 0..n-1 (default dtype int64). */
export function randperm(n: number, options: TensorOptions = {}): Tensor {
  return run(native.randperm, n, options.dtype, options.device);
}

/** Seeds every random generator (CPU and CUDA), as torch.manual_seed: the same seed gives PyTorch's draws. */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}
