// Tensor factories: from JS data, constants, ranges and random draws.
import { native } from './native.js';
import { run, type Device, type Dtype, type NestedArray, type Tensor } from './tensor.js';
import { describeValue, expectBoolean, readOptions } from './arguments.js';

/**
 * Where and how to create a tensor: dtype (default float32, int64 for integer ranges and
 * randint), device (default 'cpu'), and requiresGrad (default false).
 */
export interface TensorOptions {
  dtype?: Dtype;
  device?: Device;
  requiresGrad?: boolean;
}

const OPTION_KEYS = ['dtype', 'device', 'requiresGrad'] as const;

// The options of a factory, read once and checked (dtype and device are the addon's to check).
function factoryOptions(api: string, options: unknown, extra: readonly 'shape'[] = []): TensorOptions & { shape?: number[] } {
  const o = readOptions<TensorOptions & { shape: number[] }>(api, options, [...OPTION_KEYS, ...extra]);
  if (o.requiresGrad !== undefined) expectBoolean(api, 'requiresGrad', o.requiresGrad);
  return o;
}

function withGrad(tensor: Tensor, options: TensorOptions): Tensor {
  if (options.requiresGrad) tensor.setRequiresGrad(true);
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
  const opts = Array.isArray(shapeOrOptions)
    ? { ...factoryOptions('tensor', options), shape: shapeOrOptions }
    : { ...factoryOptions('tensor', options), ...factoryOptions('tensor', shapeOrOptions, ['shape']) };
  if (opts.shape !== undefined && !Array.isArray(opts.shape))
    throw new TypeError(`tensor: shape must be an array, got ${describeValue(opts.shape)}`);
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
  const o = factoryOptions('zeros', options);
  return withGrad(run(native.zeros, shape, o.dtype, o.device), o);
}

/** A tensor of ones (default dtype float32). */
export function ones(shape: number[], options: TensorOptions = {}): Tensor {
  const o = factoryOptions('ones', options);
  return withGrad(run(native.ones, shape, o.dtype, o.device), o);
}

/** A tensor filled with `value` (default dtype float32). */
export function full(shape: number[], value: number | boolean, options: TensorOptions = {}): Tensor {
  const o = factoryOptions('full', options);
  return withGrad(run(native.full, shape, value, o.dtype, o.device), o);
}

/**
 * Evenly spaced values in [start, end): `arange(5)`, `arange(1, 5)`, `arange(0, 1, 0.25)`.
 * The dtype defaults to int64 when all arguments are integers, else float32.
 */
export function arange(end: number, options?: TensorOptions): Tensor;
export function arange(start: number, end: number, step?: number, options?: TensorOptions): Tensor;
export function arange(a: number, b?: number | TensorOptions, c?: number, d: TensorOptions = {}): Tensor {
  if (typeof b !== 'number') {
    const o = factoryOptions('arange', b);
    return run(native.arange, 0, a, 1, o.dtype, o.device);
  }
  const o = factoryOptions('arange', d);
  return run(native.arange, a, b, c ?? 1, o.dtype, o.device);
}

/** Uniform random values in [0, 1) (default dtype float32). */
export function rand(shape: number[], options: TensorOptions = {}): Tensor {
  const o = factoryOptions('rand', options);
  return withGrad(run(native.rand, shape, o.dtype, o.device), o);
}

/** Standard normal random values (default dtype float32). */
export function randn(shape: number[], options: TensorOptions = {}): Tensor {
  const o = factoryOptions('randn', options);
  return withGrad(run(native.randn, shape, o.dtype, o.device), o);
}

/** Random integers in [low, high) (default dtype int64). */
export function randint(low: number, high: number, shape: number[], options: TensorOptions = {}): Tensor {
  const o = factoryOptions('randint', options);
  return run(native.randint, low, high, shape, o.dtype, o.device);
}

/** A random permutation of 0..n-1 (default dtype int64). */
export function randperm(n: number, options: TensorOptions = {}): Tensor {
  const o = factoryOptions('randperm', options);
  return run(native.randperm, n, o.dtype, o.device);
}

/** Seeds every random generator (CPU and CUDA), as torch.manual_seed: the same seed gives PyTorch's draws. */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}
