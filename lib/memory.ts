// Deterministic memory management: tidy() scopes, keep(), dispose() of containers, and the
// memory() report. GC finalizers free forgotten tensors too, but only eventually.
import { native } from './native.js';
import { Scope, currentContext, runInContext } from './scope.js';
import { Tensor, isTensor } from './tensor.js';
import { describeValue, expectFunction } from './arguments.js';
import type { MemoryInfo } from './memory-info.js';

export type { MemoryInfo } from './memory-info.js';

/**
 * Runs `fn` and frees every tensor created inside it, except those it returns (a tensor, or
 * tensors inside returned arrays and plain objects), which pass to the enclosing tidy(), if any.
 * `fn` may be async: the scope follows its awaits, and tensors that concurrent code creates
 * meanwhile are not touched. If `fn` throws, everything it created is freed.
 */
export function tidy<T>(fn: () => T): T {
  expectFunction('tidy', 'fn', fn);
  const outer = currentContext();
  const scope = new Scope(outer.scope);
  const finish = (result: unknown): void => {
    scope.closed = true;
    const returned = collectTensors(result);
    const parent = scope.parent?.open() ?? null;
    for (const object of scope.owned) {
      if (object instanceof Tensor && returned.has(object)) parent?.owned.add(object);
      else object.dispose();
    }
    scope.owned.clear();
  };
  let result: T;
  try {
    result = runInContext({ scope, grad: outer.grad }, fn);
  } catch (error) {
    finish(undefined);
    throw error;
  }
  if (result instanceof Promise) {
    return (result as Promise<unknown>).then(
      (value) => {
        finish(value);
        return value;
      },
      (error) => {
        finish(undefined);
        throw error;
      },
    ) as T;
  }
  finish(result);
  return result;
}

/** Exempts `tensor` from every enclosing tidy(), so that it outlives them; returns it. */
export function keep<T extends Tensor>(tensor: T): T {
  if (!isTensor(tensor)) throw new TypeError(`keep: expected a Tensor, got ${describeValue(tensor)}`);
  for (let scope = currentContext().scope; scope; scope = scope.parent) scope.owned.delete(tensor);
  return tensor;
}

/** Frees every tensor in `container` (a tensor, or arrays and plain objects holding tensors). */
export function dispose(container: unknown): void {
  for (const tensor of collectTensors(container)) tensor.dispose();
}

/** Gives the CPU memory that torchlet keeps for reuse (memory().hostCachedBytes) back to the system. */
export function emptyCache(): void {
  native.hostEmptyCache();
}

/** The live tensor count and the bytes they hold. */
export function memory(): MemoryInfo {
  const info: MemoryInfo = native.liveTensors();
  if (native.cudaIsAvailable()) info.cuda = native.cudaMemory() as MemoryInfo['cuda'];
  return info;
}

function collectTensors(value: unknown, found = new Set<Tensor>(), seen = new Set<unknown>()): Set<Tensor> {
  if (value instanceof Tensor) {
    found.add(value);
  } else if (value !== null && typeof value === 'object' && !seen.has(value)) {
    seen.add(value);
    const proto: unknown = Object.getPrototypeOf(value);
    if (Array.isArray(value)) value.forEach((v) => collectTensors(v, found, seen));
    else if (proto === Object.prototype || proto === null) Object.values(value).forEach((v) => collectTensors(v, found, seen));
    else if (value instanceof Map) value.forEach((v) => collectTensors(v, found, seen));
  }
  return found;
}
