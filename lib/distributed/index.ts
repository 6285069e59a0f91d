// tl.distributed: the process group of data-parallel training, on c10d (native/process-group.cc).
// One group per process, as torch.distributed's default group; collectives run on the compute
// thread, so that the event loop stays free while they wait for the other ranks.
import { describeValue, readOptions } from '../arguments.js';
import { defaultDevice } from '../device.js';
import { native } from '../native.js';
import { expectTensor, wrap, type Device, type Tensor } from '../tensor.js';
import { readInitOptions, type InitOptions } from './environment.js';

export type { InitOptions } from './environment.js';

/** A reduction of {@link distributed.allReduce}: 'mean' is the sum divided by the world size. */
export type ReduceOpName = 'sum' | 'mean' | 'max' | 'min' | 'product';

/** Communication counters of this process, since init(). */
export interface DistributedStats {
  /** Collectives this rank took part in (each gradient bucket counts one). */
  collectives: number;
  /** Their payload: the bytes reduced, broadcast or gathered on this rank. */
  bytes: number;
  /** Time spent waiting for collectives to finish: communication that computation did not hide. */
  waitSeconds: number;
  /** Gradient buckets launched while backward still ran (overlapped with it), of `collectives`. */
  bucketsInBackward: number;
}

let localRank = 0;
let initializing: Promise<void> | null = null;

// An error of a collective, named as the API the user called.
async function named<T>(api: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof Error && !error.message.startsWith(`${api}:`)) error.message = `${api}: ${error.message.replace(/^\w+: /, '')}`;
    throw error;
  }
}

function info(api: string): NonNullable<ReturnType<typeof native.distInfo>> {
  const current = native.distInfo();
  if (!current) throw new Error(`${api}: the process group is not initialized: call tl.distributed.init() first`);
  return current;
}

/**
 * Joins the process group: blocks (off the JS thread) until every rank has, or fails after the
 * timeout naming what went wrong. Reads torchrun's variables for what `options` leaves out.
 */
async function init(options?: InitOptions): Promise<void> {
  await initFor('distributed.init', options);
}

/** init() on behalf of `api` (fit), whose name its errors then carry. */
export async function initFor(api: string, options?: InitOptions): Promise<void> {
  if (!native.distributedAvailable) {
    throw new Error(
      `${api}: this build of torchlet has no distributed support: gloo's headers were not found when it was built (apt-get install libgloo-dev, then rebuild)`,
    );
  }
  if (native.distInfo()) throw new Error(`${api}: the process group is already initialized; call distributed.destroy() first`);
  if (initializing) throw new Error(`${api}: init() is already in progress`);
  const o = readInitOptions(api, options);
  const backend = o.backend ?? (native.ncclAvailable && native.cudaIsAvailable() ? 'nccl' : 'gloo');
  if (backend === 'nccl' && !native.ncclAvailable) throw new Error(`${api}: backend 'nccl' needs a CUDA build of torchlet with NCCL`);
  initializing = named(api, async () => {
    await native.distInit(o.masterAddr, o.masterPort, o.rank, o.worldSize, backend, o.timeoutMs);
    localRank = o.localRank;
  });
  try {
    await initializing;
  } finally {
    initializing = null;
  }
}

/** Leaves the process group (a no-op when there is none). */
function destroy(): void {
  native.distDestroy();
  localRank = 0;
}

/** Resolves once every rank has called barrier(). */
async function barrier(): Promise<void> {
  info('distributed.barrier');
  await named('distributed.barrier', () => native.distBarrier());
}

/** Reduces `tensor` across ranks, in place (do not use it until the Promise resolves); resolves to it. */
async function allReduce(tensor: Tensor, options?: { op?: ReduceOpName }): Promise<Tensor> {
  const api = 'distributed.allReduce';
  const t = expectTensor(api, 'tensor', tensor);
  const op: unknown = readOptions<{ op?: ReduceOpName }>(api, options, ['op']).op ?? 'sum';
  if (op !== 'sum' && op !== 'mean' && op !== 'max' && op !== 'min' && op !== 'product')
    throw new RangeError(`${api}: op must be 'sum', 'mean', 'max', 'min' or 'product', got ${describeValue(op)}`);
  info(api);
  await named(api, () => native.distAllReduce(t.handle, op));
  return t;
}

/** Copies rank `src`'s `tensor` (default rank 0) into every rank's, in place; resolves to it. */
async function broadcast(tensor: Tensor, options?: { src?: number }): Promise<Tensor> {
  const api = 'distributed.broadcast';
  const t = expectTensor(api, 'tensor', tensor);
  const src: unknown = readOptions<{ src?: number }>(api, options, ['src']).src ?? 0;
  const { worldSize } = info(api);
  if (!Number.isInteger(src) || (src as number) < 0 || (src as number) >= worldSize)
    throw new RangeError(`${api}: src must be a rank in [0, ${worldSize}), got ${describeValue(src)}`);
  await named(api, () => native.distBroadcast(t.handle, src as number));
  return t;
}

/** Every rank's `tensor` (all of one shape and dtype), in rank order. */
async function allGather(tensor: Tensor): Promise<Tensor[]> {
  const api = 'distributed.allGather';
  const t = expectTensor(api, 'tensor', tensor);
  info(api);
  return (await named(api, () => native.distAllGather(t.handle))).map(wrap);
}

/** Communication counters of this process since init(). */
function stats(): DistributedStats {
  const { collectives, bytes, waitSeconds, bucketsInBackward } = info('distributed.stats');
  return { collectives, bytes, waitSeconds, bucketsInBackward };
}

/**
 * The process group of data-parallel training. Before init() (or without one), `rank` is 0 and
 * `worldSize` 1, so that a script runs the same alone and launched.
 */
export const distributed = Object.freeze({
  init,
  destroy,
  barrier,
  allReduce,
  broadcast,
  allGather,
  stats,
  /** True between init() and destroy(). */
  get initialized(): boolean {
    return native.distInfo() !== null;
  },
  /** This process's rank, 0 to worldSize - 1. */
  get rank(): number {
    return native.distInfo()?.rank ?? 0;
  },
  /** The number of processes in the group. */
  get worldSize(): number {
    return native.distInfo()?.worldSize ?? 1;
  },
  /** This process's index on its machine (LOCAL_RANK). */
  get localRank(): number {
    return localRank;
  },
  /** 'gloo' or 'nccl' (null before init). */
  get backend(): 'gloo' | 'nccl' | null {
    return native.distInfo()?.backend ?? null;
  },
  /** Where this rank's model belongs: its own GPU with NCCL ('cuda:LOCAL_RANK'), else the default device. */
  get device(): Device {
    return native.distInfo()?.backend === 'nccl' ? `cuda:${localRank}` : defaultDevice();
  },
});
