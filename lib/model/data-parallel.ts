// Data-parallel fit (fit({ distributed: true })), as Keras's MultiWorkerMirroredStrategy or
// PyTorch's DDP. Every rank holds the whole model and the whole (device-resident) dataset; each
// global batch of `batchSize` is split between the ranks (shardOf), each rank computes the
// gradient of its part, and the gradients are summed across ranks in buckets, launched from
// autograd hooks while backward still runs (native/grad-sync.cc). Each rank's gradient is
// weighted by its share of the batch, so that the sum is the gradient of the global batch's mean
// loss, even when a batch does not split evenly: N ranks at batch B train as one process at B.
import { tensor } from '../create.js';
import { shardOf, type Shard } from '../data/order.js';
import { distributed, initFor } from '../distributed/index.js';
import { keep } from '../memory.js';
import { native, type GradSyncHandle } from '../native.js';
import { describeValue, readOptions } from '../arguments.js';
import { handlesOf, type Tensor } from '../tensor.js';
import type { Compiled } from './compiled.js';
import type { Meter } from './meter.js';
import type { TrainingModel } from './model-api.js';

/** fit's `distributed` option: true, or these settings. */
export interface DistributedFitOptions {
  /** The size of a gradient bucket, in MiB (default 25, as DDP): smaller ones start sooner, larger ones cost fewer collectives. */
  bucketCapMb?: number;
}

const DEFAULT_BUCKET_MB = 25;

/** This rank's part of the current fit. */
export class DataParallel {
  readonly #sync: GradSyncHandle;
  readonly #buffers: Tensor[];

  private constructor(
    readonly shard: Shard,
    sync: GradSyncHandle,
    buffers: Tensor[],
  ) {
    this.#sync = sync;
    this.#buffers = buffers;
  }

  /**
   * Joins the process group (init() from torchrun's variables, unless done), makes every rank's
   * weights rank 0's, and hooks the gradient reduction onto the optimizer's parameters.
   */
  static async start(model: TrainingModel, compiled: Compiled, meter: Meter, option: unknown): Promise<DataParallel> {
    const settings = readOptions<DistributedFitOptions>('fit', option === true ? {} : option, ['bucketCapMb'], 'distributed');
    const bucketMb: unknown = settings.bucketCapMb ?? DEFAULT_BUCKET_MB;
    if (typeof bucketMb !== 'number' || !(bucketMb > 0 && bucketMb <= 4096))
      throw new RangeError(`fit: distributed.bucketCapMb must be a number in (0, 4096], got ${describeValue(bucketMb)}`);
    if (compiled.cudaGraph && model.device.startsWith('cuda'))
      throw new RangeError('fit: distributed training does not combine with compile({ cudaGraph: true }) yet');
    if (!distributed.initialized) await initFor('fit');
    const optimizer = compiled.optimizer.handle('fit');
    const trainable = new Set(compiled.optimizer.parameters);
    for (const weight of model.weightTensors) await distributed.broadcast(weight, { src: 0 });
    const sync = native.gradSync(optimizer, Math.round(bucketMb * 2 ** 20), handlesOf(meter.sums), handlesOf(meter.globalSums));
    const buffers = model.weightTensors.filter((w) => !trainable.has(w));
    return new DataParallel({ rank: distributed.rank, worldSize: distributed.worldSize }, sync, buffers);
  }

  /** The reduction that a step's backward feeds, and this rank's weight in a batch of `length`. */
  step(length: number): { sync: GradSyncHandle; scale: number; count: number } {
    const { count } = shardOf(length, this.shard);
    return { sync: this.#sync, scale: count / length, count };
  }

  /** Rank 0's `seed`, on every rank: the epochs' shuffles then agree. */
  async agree(seed: number): Promise<number> {
    const shared = keep(tensor([seed], { dtype: 'int64' }));
    try {
      await distributed.broadcast(shared, { src: 0 });
      return Number(shared.item());
    } finally {
      shared.dispose();
    }
  }

  /** Every rank's buffers (batch-norm statistics, which each rank updates from its own examples) become rank 0's. */
  async syncBuffers(): Promise<void> {
    for (const buffer of this.#buffers) await distributed.broadcast(buffer, { src: 0 });
  }

  /** A line for the progress output: how the batches split. */
  describe(size: number, batchSize: number): string {
    const { worldSize } = this.shard;
    const split = (length: number) =>
      Array.from({ length: worldSize }, (_, rank) => shardOf(length, { rank, worldSize }).count).join(' + ');
    const last = size % batchSize;
    return (
      `Data-parallel on ${worldSize} ranks (${distributed.backend}): each batch of ${batchSize} splits ${split(batchSize)}` +
      (last === 0 ? '' : `; the last, of ${last}, splits ${split(last)}`) +
      '\n'
    );
  }

  dispose(): void {
    native.gradSyncDispose(this.#sync);
  }
}
