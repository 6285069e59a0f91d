// The Dataset contract that fit/evaluate/predict consume, and TensorDataset over in-memory tensors.
import { expectBoolean, expectInteger, readOptions } from '../arguments.js';
import { normalizeDevice } from '../device.js';
import { keep, tidy } from '../memory.js';
import type { Shape } from '../nn/layer.js';
import { expectTensor, type Device, type Tensor } from '../tensor.js';
import { passOrder, type Shard } from './order.js';

/** One batch, on the training device. */
export interface Batch {
  /** Inputs in the model's internal layout: image batches are [N, C, H, W] (channels-last strides). */
  readonly x: Tensor;
  /** Labels or targets. */
  readonly y: Tensor;
  /** How x is made from the stored batch, when the dataset says: traced steps then make it themselves. */
  readonly source?: BatchSource;
}

/**
 * x as tensor ops on a stored form: x is `prepare(inputs)`. A traced step (fit, evaluate,
 * predict) takes `inputs` instead of x and runs `prepare` itself, on the compute thread, so that
 * the JS thread does not convert batches while the step before runs.
 */
export interface BatchSource {
  /** The stored batch first (uint8 images, say), then any constants the ops read. */
  readonly inputs: Tensor[];
  /** Tensor ops only: no value read on the host (a step that reads one runs eagerly). */
  readonly prepare: (inputs: Tensor[]) => Tensor;
  /** Names the ops, for the step's cache: two sources with the same key must prepare alike. */
  readonly key: string;
}

/** A batch whose x is prepared from `source` on first use (the JS thread's work, when a traced step does not read it). */
export class PreparedBatch implements Batch {
  #x: Tensor | null = null;

  constructor(
    readonly source: BatchSource,
    readonly y: Tensor,
  ) {}

  get x(): Tensor {
    this.#x ??= tidy(() => this.source.prepare(this.source.inputs));
    return this.#x;
  }
}

/** How to cut one pass over a dataset into batches. */
export interface BatchOptions {
  batchSize: number;
  /** Draw a new random order (on the device) for this pass. */
  shuffle: boolean;
  device: Device;
  /** With shuffle, the order comes from this seed (default: the global generator); fit passes one per epoch. */
  seed?: number;
  /**
   * Yield only this process's part of each batch (data-parallel fit): `shardOf(length, shard)`
   * of every batch of `batchSize`, which may be empty for the last one.
   */
  shard?: Shard;
}

/** `options` of `api` (a batches() method), checked: the first three are required; the device comes back normalised. */
export function readBatchOptions(api: string, options: unknown): BatchOptions {
  const o = readOptions<BatchOptions>(api, options, ['batchSize', 'shuffle', 'device', 'seed', 'shard']);
  const read: BatchOptions = {
    batchSize: expectInteger(api, 'batchSize', o.batchSize, 1),
    shuffle: expectBoolean(api, 'shuffle', o.shuffle),
    device: normalizeDevice(o.device as Device, api),
  };
  if (o.seed !== undefined) read.seed = expectInteger(api, 'seed', o.seed, 0);
  if (o.shard !== undefined) {
    const shard = readOptions<Shard>(api, o.shard, ['rank', 'worldSize'], 'shard');
    const worldSize = expectInteger(api, 'shard.worldSize', shard.worldSize, 1);
    const rank = expectInteger(api, 'shard.rank', shard.rank, 0);
    if (rank >= worldSize) throw new RangeError(`${api}: shard.rank must be below shard.worldSize (${worldSize}), got ${rank}`);
    read.shard = { rank, worldSize };
  }
  return read;
}

/**
 * A source of training or evaluation batches. Implementations keep their data on the device and
 * must not read values back to the host while yielding batches.
 */
export interface Dataset {
  /** The number of examples. */
  readonly size: number;
  /** The per-example input shape, Keras-style ([height, width, channels] for images). */
  readonly inputShape: Shape;
  /** All targets (on any device), checked once against the loss before training. */
  readonly targets: Tensor;
  /** The batches of one pass. */
  batches(options: BatchOptions): Iterable<Batch>;
}

/** True for objects that implement {@link Dataset}. */
export function isDataset(value: unknown): value is Dataset {
  return typeof value === 'object' && value !== null && typeof (value as Dataset).batches === 'function' && 'inputShape' in value;
}

/**
 * A dataset over tensors: x as Keras shapes it ([N, height, width, channels] for images, or
 * [N, features]) and y ([N] labels or [N, ...] targets). Both are uploaded to the training device
 * once; each pass draws its order on the device and gathers batches there.
 */
export class TensorDataset implements Dataset {
  readonly size: number;
  readonly inputShape: Shape;
  #onDevice: { device: Device; x: Tensor; y: Tensor } | null = null;

  /**
   * `owned` (default false): the dataset owns x and y and frees them in {@link TensorDataset.dispose};
   * otherwise it frees only the device copies it made.
   */
  constructor(
    readonly x: Tensor,
    readonly y: Tensor,
    private readonly owned = false,
  ) {
    expectTensor('TensorDataset', 'x', x);
    expectTensor('TensorDataset', 'y', y);
    expectBoolean('TensorDataset', 'owned', owned);
    const [n, ...shape] = x.shape;
    if (x.rank === 0 || y.shape[0] !== n) {
      throw new RangeError(
        `TensorDataset: y has ${y.shape[0] ?? 0} entries but x has ${x.shape[0] ?? 0} examples (x: [${x.shape}], y: [${y.shape}])`,
      );
    }
    this.size = n;
    this.inputShape = shape;
  }

  get targets(): Tensor {
    return this.y;
  }

  batches(options: BatchOptions): Iterable<Batch> {
    return this.#batches(readBatchOptions('TensorDataset.batches', options));
  }

  *#batches(options: BatchOptions): Iterable<Batch> {
    const { x, y } = this.on(options.device);
    for (const { index, start, length } of passOrder(this.size, options)) {
      const xb = index ? x.indexSelect(0, index) : x.narrow(0, start, length);
      const yb = index ? y.indexSelect(0, index) : y.narrow(0, start, length);
      // NHWC → NCHW as a view: the batch keeps NHWC memory, which is channels-last NCHW.
      yield { x: xb.rank === 4 ? xb.permute([0, 3, 1, 2]) : xb, y: yb };
    }
  }

  /** The first `count` examples and the rest, as two datasets of views (free them with dispose()). */
  split(count: number): [TensorDataset, TensorDataset] {
    if (expectInteger('TensorDataset.split', 'count', count, 0) > this.size)
      throw new RangeError(`TensorDataset.split: count must be at most the size, ${this.size}, got ${count}`);
    const part = (start: number, length: number) =>
      new TensorDataset(keep(this.x.narrow(0, start, length)), keep(this.y.narrow(0, start, length)), true);
    return [part(0, count), part(count, this.size - count)];
  }

  /** Frees the device copies, and x and y if the dataset owns them. */
  dispose(): void {
    this.#onDevice?.x.dispose();
    this.#onDevice?.y.dispose();
    this.#onDevice = null;
    if (this.owned) {
      this.x.dispose();
      this.y.dispose();
    }
  }

  // Uploads once per (normalised) device and keeps the copy.
  private on(device: Device): { x: Tensor; y: Tensor } {
    if (this.#onDevice?.device !== device) {
      this.#onDevice?.x.dispose();
      this.#onDevice?.y.dispose();
      this.#onDevice = this.x.device === device ? null : { device, x: keep(this.x.to(device)), y: keep(this.y.to(device)) };
    }
    return this.#onDevice ?? this;
  }
}
