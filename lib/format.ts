// Tensor.toString(): a PyTorch-style preview. Large tensors show their first and last three
// entries along each long dimension, so only those are copied to the host.
import { native, type Handle } from './native.js';

const FULL_LIMIT = 1000;
const EDGE = 3;

/** Formats `tensor` as `tensor([...], shape=[...], dtype=..., device=...)`. */
export function formatTensor(handle: Handle): string {
  if (native.isDisposed(handle)) return 'tensor(<disposed>)';
  const shape = native.shape(handle);
  const summarized = native.numel(handle) > FULL_LIMIT;
  const { values, kept } = summarized ? edges(handle, shape) : { values: native.data(handle), kept: shape };
  const dtype = native.dtype(handle);
  const strings = Array.from(values, (v) => formatValue(Number(v), dtype));
  const width = Math.max(0, ...strings.map((s) => s.length));
  const padded = strings.map((s) => s.padStart(width));
  const body = nest(padded, kept, shape, 0, 0, 'tensor('.length + 1, summarized);
  return `tensor(${body}, shape=[${shape.join(', ')}], dtype=${dtype}, device=${native.device(handle)})`;
}

// Keeps the first and last EDGE entries of every dimension longer than 2 * EDGE.
function edges(handle: Handle, shape: number[]): { values: ArrayLike<number | bigint>; kept: number[] } {
  const owned: Handle[] = [];
  let current = handle;
  const kept = shape.map((size, dim) => {
    if (size <= 2 * EDGE) return size;
    const picks = [0, 1, 2, size - 3, size - 2, size - 1].map(BigInt);
    const index = native.tensor(new BigInt64Array(picks), [2 * EDGE], null, null);
    current = native.indexSelect(current, dim, index);
    owned.push(index, current);
    return 2 * EDGE;
  });
  const values = native.data(current);
  owned.forEach((h) => native.dispose(h));
  return { values, kept };
}

function formatValue(v: number, dtype: string): string {
  if (dtype === 'bool') return v ? 'true' : 'false';
  if (dtype.startsWith('int') || dtype === 'uint8') return String(v);
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  return abs !== 0 && (abs >= 1e8 || abs < 1e-4) ? v.toExponential(4) : v.toFixed(4);
}

function nest(values: string[], kept: number[], shape: number[], dim: number, offset: number, indent: number, summarized: boolean): string {
  if (kept.length === 0) return values[0];
  const stride = kept.slice(dim + 1).reduce((a, b) => a * b, 1);
  const parts: string[] = [];
  for (let k = 0; k < kept[dim]; k++) {
    if (summarized && kept[dim] < shape[dim] && k === EDGE) parts.push('...');
    parts.push(
      dim === kept.length - 1 ? values[offset + k] : nest(values, kept, shape, dim + 1, offset + k * stride, indent + 1, summarized),
    );
  }
  const separator = dim === kept.length - 1 ? ', ' : ',' + '\n'.repeat(kept.length - dim - 1) + ' '.repeat(indent);
  return `[${parts.join(separator)}]`;
}
