// The Tensor: a JS object that owns one native tensor handle. Every op is one synchronous native
// call; nothing is copied to the host unless data(), item() or toString() asks for it.
import { formatTensor } from './format.js';
import { native, type DtypeName, type Handle } from './native.js';
import { syncGradMode, track } from './scope.js';
import { describeValue, optionalBoolean, readOptions, renamingErrors } from './arguments.js';

/** A tensor element type. */
export type Dtype = DtypeName;

/** A device string: 'cpu', 'cuda' (the current GPU) or 'cuda:N'. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

/** Memory layouts for {@link Tensor.contiguous}. */
export type MemoryFormat = 'contiguous' | 'channelsLast';

/** What {@link Tensor.data} returns for each dtype (bool reads as 0/1 bytes; float16 and bfloat16 widen to float32). */
export type TypedArrayOf<D extends Dtype> = D extends 'float32' | 'float16' | 'bfloat16'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int8'
      ? Int8Array
      : D extends 'int16'
        ? Int16Array
        : D extends 'int32'
          ? Int32Array
          : D extends 'int64'
            ? BigInt64Array
            : Uint8Array;

/** A nested JS array of numbers or booleans, as returned by {@link Tensor.toArray}. */
export type NestedArray = number | boolean | NestedArray[];

type Operand = Tensor | number | boolean;

const DTYPES: readonly string[] = ['float32', 'float64', 'float16', 'bfloat16', 'int8', 'int16', 'int32', 'int64', 'uint8', 'bool'];

/** Wraps a fresh native handle; the current tidy() scope, if any, takes ownership. */
export function wrap(handle: Handle): Tensor {
  const tensor = new Tensor(handle);
  track(tensor);
  return tensor;
}

/** Runs one native op that returns a new tensor, in the current grad mode. */
export function run<A extends unknown[]>(op: (...args: A) => Handle, ...args: A): Tensor {
  syncGradMode(native.setGradEnabled);
  return wrap(op(...args));
}

/**
 * The native handle of a Tensor argument; anything else passes through for the addon to reject by
 * name, including an object that only inherits Tensor's prototype and so has no handle.
 */
export function handleOf(value: unknown): Handle {
  return (isTensor(value) ? value.handle : value) as Handle;
}

function operand(value: Operand): Handle | number | boolean {
  return handleOf(value);
}

/** True for a Tensor made by torchlet (disposed or not), false for anything else, fakes included. */
export function isTensor(value: unknown): value is Tensor {
  return value instanceof Tensor && Object.hasOwn(value, 'handle');
}

/** `value` when it is a live Tensor; else a TypeError (or, for a disposed one, an Error) naming `api` and `name`. */
export function expectTensor(api: string, name: string, value: unknown): Tensor {
  if (!isTensor(value)) throw new TypeError(`${api}: ${name} must be a Tensor, got ${describeValue(value)}`);
  if (value.isDisposed) throw new Error(`${api}: ${name} is a disposed tensor (freed by dispose() or by the tidy() that created it)`);
  return value;
}

/**
 * An n-dimensional array on the CPU or a CUDA device, backed by a libtorch tensor.
 *
 * Create tensors with the factories (`tensor`, `zeros`, `randn`, ...). Free them with
 * {@link Tensor.dispose} or inside `tidy()`; garbage collection frees forgotten ones eventually.
 */
export class Tensor {
  /** @internal Use the factories: a Tensor is only made around a fresh native handle. */
  constructor(readonly handle: Handle) {}

  /** The size of each dimension. */
  get shape(): number[] {
    return native.shape(this.handle);
  }
  /** The number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }
  /** The element type. */
  get dtype(): Dtype {
    return native.dtype(this.handle);
  }
  /** Where the data lives: 'cpu' or 'cuda:N'. */
  get device(): Device {
    return native.device(this.handle) as Device;
  }
  /** The number of elements. */
  get numel(): number {
    return native.numel(this.handle);
  }
  /** The step, in elements, between neighbours along each dimension. */
  get strides(): number[] {
    return native.strides(this.handle);
  }
  /** True once {@link Tensor.dispose} has run. */
  get isDisposed(): boolean {
    return native.isDisposed(this.handle);
  }

  /** True when the elements are laid out densely in the given format (default 'contiguous'). */
  isContiguous(memoryFormat: MemoryFormat = 'contiguous'): boolean {
    return native.isContiguous(this.handle, memoryFormat);
  }

  /**
   * A copy of the elements as a TypedArray, in row-major order (copied from the GPU if needed).
   * The type parameter names the dtype you expect (default float32), as in TensorFlow.js:
   * `t.data<'int64'>()` is typed as a BigInt64Array.
   */
  data<D extends Dtype = 'float32'>(): TypedArrayOf<D> {
    return native.data(this.handle) as TypedArrayOf<D>;
  }
  /** Same as {@link Tensor.data}. */
  toTypedArray<D extends Dtype = 'float32'>(): TypedArrayOf<D> {
    return this.data<D>();
  }
  /** The elements as nested JS arrays (int64 as numbers, bool as booleans). */
  toArray(): NestedArray {
    const flat: ArrayLike<number | bigint> = this.data<Dtype>();
    const isBool = this.dtype === 'bool';
    const at = (i: number): number | boolean => (isBool ? flat[i] !== 0 : Number(flat[i]));
    const shape = this.shape;
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === shape.length) return at(offset);
      const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: shape[dim] }, (_, k) => build(dim + 1, offset + k * stride));
    };
    return build(0, 0);
  }
  /** The value of a one-element tensor (int64 as a number, bool as a boolean). */
  item(): number | boolean {
    return native.item(this.handle);
  }

  /** Frees the tensor now. Idempotent; any later use throws. */
  dispose(): void {
    native.dispose(this.handle);
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * A copy on another device and/or with another dtype: `t.to('cuda')`, `t.to('float64')`,
   * `t.to({ device: 'cpu', dtype: 'int32' })`. Returns a new tensor even when nothing changes.
   */
  to(target: Device | Dtype | { device?: Device; dtype?: Dtype }): Tensor {
    if (typeof target === 'string') {
      return DTYPES.includes(target) ? run(native.to, this.handle, null, target) : run(native.to, this.handle, target, null);
    }
    // From JS, anything: the keys are checked here, the device and dtype natively.
    const given = readOptions<{ device: Device; dtype: Dtype }>('to', target, ['device', 'dtype'], 'the target');
    return run(native.to, this.handle, given.device, given.dtype);
  }
  /** A copy on the CPU. */
  cpu(): Tensor {
    return renamingErrors('to', 'cpu', () => this.to('cpu'));
  }
  /** A copy on CUDA device `index` (default: the current one). Throws a clear error without CUDA. */
  cuda(index?: number): Tensor {
    const given: unknown = index; // from JS, anything
    if (given !== undefined && (typeof given !== 'number' || !Number.isSafeInteger(given) || given < 0))
      throw new TypeError(`cuda: index must be a non-negative integer, got ${describeValue(given)}`);
    return renamingErrors('to', 'cuda', () => this.to(index === undefined ? 'cuda' : `cuda:${index}`));
  }
  /** In place: this += alpha * other (alpha default 1). Returns this. */
  add_(other: Operand, alpha?: number): this {
    native.add_(this.handle, operand(other), alpha);
    return this;
  }
  /** In place: sets every element to `value`. Returns this. */
  fill_(value: number | boolean): this {
    native.fill_(this.handle, value);
    return this;
  }
  /** A copy with its own storage. */
  clone(): Tensor {
    return run(native.clone, this.handle);
  }
  /**
   * Copies `src`'s values into this tensor in place (broadcasting `src`, converting its dtype and
   * device), outside autograd. Everything holding this tensor sees the new values. Returns this.
   */
  assign(src: Tensor): this {
    native.assign(this.handle, handleOf(src));
    return this;
  }

  // Shape and layout. Views share storage with this tensor.

  /** The same elements in a new shape (one size may be -1); a view when possible, else a copy. */
  reshape(shape: number[]): Tensor {
    return run(native.reshape, this.handle, shape);
  }
  /** A view with a new shape (one size may be -1); throws if the strides do not allow a view. */
  view(shape: number[]): Tensor {
    return run(native.view, this.handle, shape);
  }
  /** A view with the dimensions reordered. */
  permute(dims: number[]): Tensor {
    return run(native.permute, this.handle, dims);
  }
  /** A view with two dimensions swapped. */
  transpose(dim0: number, dim1: number): Tensor {
    return run(native.transpose, this.handle, dim0, dim1);
  }
  /** This tensor if already dense in `memoryFormat` (default 'contiguous'), else a dense copy. */
  contiguous(memoryFormat: MemoryFormat = 'contiguous'): Tensor {
    return run(native.contiguous, this.handle, memoryFormat);
  }
  /** Merges dimensions startDim..endDim (default: all) into one. */
  flatten(startDim = 0, endDim = -1): Tensor {
    return run(native.flatten, this.handle, startDim, endDim);
  }
  /** Removes dimension `dim` if its size is 1, or every size-1 dimension when `dim` is omitted. */
  squeeze(dim?: number): Tensor {
    return run(native.squeeze, this.handle, dim);
  }
  /** Inserts a size-1 dimension at `dim`. */
  unsqueeze(dim: number): Tensor {
    return run(native.unsqueeze, this.handle, dim);
  }
  /** A view of `length` elements along `dim`, from `start`. */
  narrow(dim: number, start: number, length: number): Tensor {
    return run(native.narrow, this.handle, dim, start, length);
  }
  /** A view of elements start..end (exclusive; defaults: the whole dim) along `dim`, every `step`. */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return run(native.slice, this.handle, dim, start, end, step);
  }
  /** The entries at `index` (an int64 tensor) along `dim`. */
  indexSelect(dim: number, index: Tensor): Tensor {
    return run(native.indexSelect, this.handle, dim, handleOf(index));
  }
  /**
   * Pads with `value` (default 0): `pads` holds (before, after) pairs starting from the last dim,
   * as torch.nn.functional.pad: `[left, right, top, bottom]` pads the last two dims.
   */
  pad(pads: number[], value = 0): Tensor {
    return run(native.pad, this.handle, pads, value);
  }
  /** A copy with the order of elements reversed along `dims`. */
  flip(dims: number[]): Tensor {
    return run(native.flip, this.handle, dims);
  }
  /** A view repeating size-1 dimensions to `shape` (-1 keeps a size), without copying. */
  expand(shape: number[]): Tensor {
    return run(native.expand, this.handle, shape);
  }
  /** Gathers values along `dim` at `index` (int64, same rank as this tensor). */
  gather(dim: number, index: Tensor): Tensor {
    return run(native.gather, this.handle, dim, handleOf(index));
  }

  // Elementwise math, with broadcasting; `other` may be a number.

  /** this + alpha * other (alpha default 1). */
  add(other: Operand, alpha?: number): Tensor {
    return run(native.add, this.handle, operand(other), alpha);
  }
  /** this - alpha * other (alpha default 1). */
  sub(other: Operand, alpha?: number): Tensor {
    return run(native.sub, this.handle, operand(other), alpha);
  }
  mul(other: Operand): Tensor {
    return run(native.mul, this.handle, operand(other));
  }
  /** True division: integer inputs give a float result. */
  div(other: Operand): Tensor {
    return run(native.div, this.handle, operand(other));
  }
  pow(exponent: Operand): Tensor {
    return run(native.pow, this.handle, operand(exponent));
  }
  neg(): Tensor {
    return run(native.neg, this.handle);
  }
  exp(): Tensor {
    return run(native.exp, this.handle);
  }
  log(): Tensor {
    return run(native.log, this.handle);
  }
  sqrt(): Tensor {
    return run(native.sqrt, this.handle);
  }
  abs(): Tensor {
    return run(native.abs, this.handle);
  }
  /** The inverse error function. */
  erfinv(): Tensor {
    return run(native.erfinv, this.handle);
  }
  /** Limits every element to [min, max]; either bound may be omitted, not both. */
  clamp(min?: number | null, max?: number | null): Tensor {
    return run(native.clamp, this.handle, min, max);
  }
  /** This tensor where `condition` (bool, broadcast) holds, else `other`. */
  where(condition: Tensor, other: Operand): Tensor {
    return run(native.where, handleOf(condition), this.handle, operand(other));
  }
  /** Matrix product, with batch broadcasting (as torch.matmul). */
  matmul(other: Tensor): Tensor {
    return run(native.matmul, this.handle, handleOf(other));
  }

  // Comparisons: bool tensors.

  eq(other: Operand): Tensor {
    return run(native.eq, this.handle, operand(other));
  }
  ne(other: Operand): Tensor {
    return run(native.ne, this.handle, operand(other));
  }
  lt(other: Operand): Tensor {
    return run(native.lt, this.handle, operand(other));
  }
  le(other: Operand): Tensor {
    return run(native.le, this.handle, operand(other));
  }
  gt(other: Operand): Tensor {
    return run(native.gt, this.handle, operand(other));
  }
  ge(other: Operand): Tensor {
    return run(native.ge, this.handle, operand(other));
  }

  // Reductions over `dim` (one dim or several; default: all), keeping reduced dims as size 1 when keepDim.

  sum(dim?: number | number[], keepDim = false): Tensor {
    return run(native.sum, this.handle, dim, keepDim);
  }
  mean(dim?: number | number[], keepDim = false): Tensor {
    return run(native.mean, this.handle, dim, keepDim);
  }
  max(dim?: number | number[], keepDim = false): Tensor {
    return run(native.max, this.handle, dim, keepDim);
  }
  min(dim?: number | number[], keepDim = false): Tensor {
    return run(native.min, this.handle, dim, keepDim);
  }
  /** Indices (int64) of the maxima along `dim`, or into the flattened tensor when `dim` is omitted. */
  argmax(dim?: number, keepDim = false): Tensor {
    return run(native.argmax, this.handle, dim, keepDim);
  }
  /** Indices (int64) of the minima along `dim`, or into the flattened tensor when `dim` is omitted. */
  argmin(dim?: number, keepDim = false): Tensor {
    return run(native.argmin, this.handle, dim, keepDim);
  }

  // Autograd.

  /** Whether autograd records operations on this tensor. */
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }
  set requiresGrad(flag: boolean) {
    native.setRequiresGrad(this.handle, flag);
  }
  /** Sets {@link Tensor.requiresGrad} (floating-point leaves only) and returns this tensor. */
  setRequiresGrad(flag = true): this {
    native.setRequiresGrad(this.handle, flag);
    return this;
  }
  /** True for tensors not computed by a recorded operation (user-created tensors and weights). */
  get isLeaf(): boolean {
    return native.isLeaf(this.handle);
  }
  /** The name of the recorded operation that produced this tensor, or null for a leaf. */
  get gradFn(): string | null {
    return native.gradFn(this.handle);
  }
  /**
   * The gradient accumulated by backward(): set on leaves that require grad, and on other
   * tensors only after {@link Tensor.retainGrad}; null otherwise. Each read returns a new Tensor
   * sharing the gradient's storage.
   */
  get grad(): Tensor | null {
    const h = native.grad(this.handle);
    return h === null ? null : wrap(h);
  }
  set grad(value: Tensor | null) {
    native.setGrad(this.handle, value === null ? null : handleOf(value));
  }
  /** Drops the accumulated gradient (grad becomes null). */
  zeroGrad(): void {
    native.zeroGrad(this.handle);
  }
  /** Keeps the gradient of this non-leaf tensor after backward(). */
  retainGrad(): this {
    native.retainGrad(this.handle);
    return this;
  }
  /** A tensor sharing this one's storage, outside autograd. */
  detach(): Tensor {
    return run(native.detach, this.handle);
  }
  /**
   * Computes the gradient of this tensor with respect to the leaves that require grad and adds
   * it to their `.grad`. A non-scalar tensor needs `gradient` (the upstream gradient, same shape).
   * `retainGraph` (default false) keeps the graph for another backward().
   */
  backward(gradient?: Tensor | null, options?: { retainGraph?: boolean }): void {
    const { retainGraph } = readOptions<{ retainGraph: boolean }>('backward', options, ['retainGraph']);
    const upstream = gradient === undefined || gradient === null ? null : handleOf(gradient);
    native.backward(this.handle, upstream, optionalBoolean('backward', 'retainGraph', retainGraph, false));
  }

  /** A preview of the values with shape, dtype and device, like PyTorch's. */
  toString(): string {
    // An object made from the prototype alone has no data; saying so beats a throw from String(x).
    if (!isTensor(this)) return 'Tensor(no data: not made by torchlet)';
    return formatTensor(this.handle);
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** Joins tensors along an existing dimension `dim` (default 0). */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  return run(native.cat, handlesOf(tensors), dim);
}

/** Joins same-shape tensors along a new dimension `dim` (default 0). */
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return run(native.stack, handlesOf(tensors), dim);
}

/** The handles of an array of Tensors; a non-array passes through for the addon to reject by name. */
export function handlesOf(tensors: Tensor[]): Handle[] {
  return Array.isArray(tensors) ? tensors.map(handleOf) : tensors;
}
