// The order of one pass over a dataset, cut into batches, and this process's share of each batch
// in data-parallel training. Both built-in datasets draw their batches from here.
import { randperm } from '../create.js';
import { native } from '../native.js';
import { keep } from '../memory.js';
import { wrap, type Device, type Tensor } from '../tensor.js';

/** This process's part of every batch in data-parallel training: rank `rank` of `worldSize`. */
export interface Shard {
  rank: number;
  worldSize: number;
}

/**
 * The examples [offset, offset + count) of a batch of `length` that `shard` takes: contiguous
 * pieces whose sizes differ by at most one, the larger ones on the lower ranks (a batch smaller
 * than the world leaves the highest ranks none).
 */
export function shardOf(length: number, { rank, worldSize }: Shard): { offset: number; count: number } {
  const base = Math.floor(length / worldSize);
  const extra = length % worldSize;
  return { offset: rank * base + Math.min(rank, extra), count: base + (rank < extra ? 1 : 0) };
}

/** One batch of a pass: its examples are `index` (on the device) or, unshuffled, [start, start + length). */
export interface BatchIndex {
  index: Tensor | null;
  start: number;
  length: number;
}

/**
 * The batches of one pass over `size` examples: in a random order when `shuffle` (from `seed`
 * when given: every process with that seed draws the same order), each cut to `shard`'s part.
 */
export function* passOrder(
  size: number,
  { batchSize, shuffle, seed, shard, device }: { batchSize: number; shuffle: boolean; seed?: number; shard?: Shard; device: Device },
): Generator<BatchIndex> {
  const order = !shuffle ? null : keep(seed === undefined ? randperm(size, { device }) : wrap(native.randpermSeeded(size, seed, device)));
  try {
    for (let start = 0; start < size; start += batchSize) {
      const length = Math.min(batchSize, size - start);
      const { offset, count } = shard ? shardOf(length, shard) : { offset: 0, count: length };
      yield { index: order?.narrow(0, start + offset, count) ?? null, start: start + offset, length: count };
    }
  } finally {
    order?.dispose();
  }
}
