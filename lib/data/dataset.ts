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
  /** For a model of several inputs: every input, in the model's order (`x` is the first). */
  readonly inputs?: Tensor[];
  /** For a model of several outputs: every output's targets, in the model's order (`y` is the first's). */
  readonly targets?: Tensor[];
}

/** Every input of a batch, in the model's order. */
export function inputsOf(batch: Pick<Batch, 'x' | 'inputs'>): Tensor[] {
  return batch.inputs ?? [batch.x];
}

/** Every output's targets of a batch, in the model's order. */
export function targetsOf(batch: Pick<Batch, 'y' | 'targets'>): Tensor[] {
  return batch.targets ?? [batch.y];
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
  /** For a model of several inputs: each one's per-example shape (`inputShape` is the first's). */
  readonly inputShapes?: Shape[];
  /** For a model of several outputs: each one's targets (`targets` is the first's). */
  readonly targetList?: Tensor[];
  /** The batches of one pass. */
  batches(options: BatchOptions): Iterable<Batch>;
}

/** True for objects that implement {@link Dataset}. */
export function isDataset(value: unknown): value is Dataset {
  return typeof value === 'object' && value !== null && typeof (value as Dataset).batches === 'function' && 'inputShape' in value;
}

/**
 * A dataset over tensors: x as Keras shapes it ([N, height, width, channels] for images, or
 * [N, features]) and y ([N] labels or [N, ...] targets); for a model of several inputs or outputs,
 * arrays of them, in the model's order. All are uploaded to the training device once; each pass
 * draws its order on the device and gathers batches there.
 */
export class TensorDataset implements Dataset {
  readonly size: number;
  readonly inputShape: Shape;
  readonly inputShapes: Shape[];
  readonly x: Tensor;
  readonly y: Tensor;
  readonly #xs: Tensor[];
  readonly #ys: Tensor[];
  readonly #several: { inputs: boolean; targets: boolean };
  #onDevice: { device: Device; xs: Tensor[]; ys: Tensor[] } | null = null;

  /**
   * `owned` (default false): the dataset owns x and y and frees them in {@link TensorDataset.dispose};
   * otherwise it frees only the device copies it made.
   */
  constructor(
    x: Tensor | Tensor[],
    y: Tensor | Tensor[],
    private readonly owned = false,
  ) {
    this.#xs = tensorList('x', x);
    this.#ys = tensorList('y', y);
    this.#several = { inputs: Array.isArray(x), targets: Array.isArray(y) };
    expectBoolean('TensorDataset', 'owned', owned);
    [this.x] = this.#xs;
    [this.y] = this.#ys;
    const n = this.x.shape[0] ?? 0;
    const name = (what: string, list: boolean, k: number) => (list ? `${what}[${k}]` : what);
    this.#xs.forEach((t, k) => {
      if (t.rank === 0) throw new RangeError(`TensorDataset: ${name('x', this.#several.inputs, k)} must have a batch dim, got a scalar`);
      if (t.shape[0] !== n)
        throw new RangeError(
          `TensorDataset: ${name('x', this.#several.inputs, k)} has ${t.shape[0]} examples but x[0] has ${n} ([${t.shape}])`,
        );
    });
    this.#ys.forEach((t, k) => {
      if (t.shape[0] !== n) {
        throw new RangeError(
          `TensorDataset: ${name('y', this.#several.targets, k)} has ${t.shape[0] ?? 0} entries but x has ${n} examples (x: [${this.x.shape}], y: [${t.shape}])`,
        );
      }
    });
    this.size = n;
    this.inputShapes = this.#xs.map((t) => t.shape.slice(1));
    this.inputShape = this.inputShapes[0];
  }

  get targets(): Tensor {
    return this.y;
  }

  get targetList(): Tensor[] {
    return [...this.#ys];
  }

  batches(options: BatchOptions): Iterable<Batch> {
    return this.#batches(readBatchOptions('TensorDataset.batches', options));
  }

  *#batches(options: BatchOptions): Iterable<Batch> {
    const { xs, ys } = this.on(options.device);
    for (const { index, start, length } of passOrder(this.size, options)) {
      const take = (t: Tensor) => (index ? t.indexSelect(0, index) : t.narrow(0, start, length));
      // NHWC → NCHW as a view: the batch keeps NHWC memory, which is channels-last NCHW.
      const inputs = xs.map((t) => {
        const b = take(t);
        return b.rank === 4 ? b.permute([0, 3, 1, 2]) : b;
      });
      const targets = ys.map(take);
      yield {
        x: inputs[0],
        y: targets[0],
        ...(this.#several.inputs ? { inputs } : {}),
        ...(this.#several.targets ? { targets } : {}),
      };
    }
  }

  /** The first `count` examples and the rest, as two datasets of views (free them with dispose()). */
  split(count: number): [TensorDataset, TensorDataset] {
    if (expectInteger('TensorDataset.split', 'count', count, 0) > this.size)
      throw new RangeError(`TensorDataset.split: count must be at most the size, ${this.size}, got ${count}`);
    const part = (start: number, length: number) => {
      const slice = (list: Tensor[], several: boolean) => {
        const views = list.map((t) => keep(t.narrow(0, start, length)));
        return several ? views : views[0];
      };
      return new TensorDataset(slice(this.#xs, this.#several.inputs), slice(this.#ys, this.#several.targets), true);
    };
    return [part(0, count), part(count, this.size - count)];
  }

  /** Frees the device copies, and x and y if the dataset owns them. */
  dispose(): void {
    this.#dropCopies();
    if (this.owned) [...this.#xs, ...this.#ys].forEach((t) => t.dispose());
  }

  #dropCopies(): void {
    this.#onDevice?.xs.forEach((t) => t.dispose());
    this.#onDevice?.ys.forEach((t) => t.dispose());
    this.#onDevice = null;
  }

  // Uploads once per (normalised) device and keeps the copy.
  private on(device: Device): { xs: Tensor[]; ys: Tensor[] } {
    if (this.#onDevice?.device !== device) {
      this.#dropCopies();
      if ([...this.#xs, ...this.#ys].some((t) => t.device !== device)) {
        const to = (t: Tensor) => keep(t.to(device));
        this.#onDevice = { device, xs: this.#xs.map(to), ys: this.#ys.map(to) };
      }
    }
    return this.#onDevice ?? { xs: this.#xs, ys: this.#ys };
  }
}

// x or y of a TensorDataset: a tensor, or a non-empty array of them (copied).
function tensorList(what: string, value: unknown): Tensor[] {
  if (!Array.isArray(value)) return [expectTensor('TensorDataset', what, value)];
  const list = [...(value as unknown[])];
  if (list.length === 0) throw new RangeError(`TensorDataset: ${what} must be a tensor or a non-empty array of tensors, got []`);
  return list.map((t, k) => expectTensor('TensorDataset', `${what}[${k}]`, t));
}
