// torchrun's environment contract, read and checked: where the rendezvous is (MASTER_ADDR,
// MASTER_PORT), who this process is (RANK, LOCAL_RANK) and how many there are (WORLD_SIZE).
// Options given to init() take precedence over the variables.
import { describeValue, readOptions } from '../arguments.js';

/** Options of {@link distributed.init}. Each defaults to torchrun's variable of the same meaning. */
export interface InitOptions {
  /** 'gloo' (CPU tensors) or 'nccl' (CUDA tensors); default: 'nccl' where the build has it and CUDA is available, else 'gloo'. */
  backend?: 'gloo' | 'nccl';
  /** The rendezvous host, where rank 0 listens (MASTER_ADDR). */
  masterAddr?: string;
  /** Its port (MASTER_PORT). */
  masterPort?: number;
  /** This process's rank, 0 to worldSize - 1 (RANK). */
  rank?: number;
  /** The number of processes (WORLD_SIZE). */
  worldSize?: number;
  /** This process's index on its machine: its GPU with NCCL (LOCAL_RANK, default 0). */
  localRank?: number;
  /**
   * How long the rendezvous and every collective may wait for the other ranks before failing
   * (default: $TORCHLET_DIST_TIMEOUT_MS, or 300,000 ms).
   */
  timeoutMs?: number;
}

export interface Rendezvous {
  masterAddr: string;
  masterPort: number;
  rank: number;
  worldSize: number;
  localRank: number;
  timeoutMs: number;
}

const KNOWN: (keyof InitOptions)[] = ['backend', 'masterAddr', 'masterPort', 'rank', 'worldSize', 'localRank', 'timeoutMs'];
const DEFAULT_TIMEOUT_MS = 300_000;
const HOW =
  'start the script with `npx torchlet launch --nproc N script.js` (or torchrun), which sets MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE and LOCAL_RANK, or pass them to init()';

/** The options of init(), with torchrun's variables for those not given. */
export function readInitOptions(api: string, options: unknown, env: NodeJS.ProcessEnv = process.env): InitOptions & Rendezvous {
  const given = readOptions<InitOptions>(api, options, KNOWN);
  const integer = (name: keyof InitOptions, variable: string, min: number, max: number, fallback?: number): number => {
    const value: unknown = given[name] ?? env[variable] ?? fallback;
    if (value === undefined) throw new RangeError(`${api}: ${variable} is not set: ${HOW}`);
    const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    if (!Number.isSafeInteger(n) || (n as number) < min || (n as number) > max) {
      const source = given[name] !== undefined ? name : variable;
      throw new RangeError(`${api}: ${source} must be an integer in [${min}, ${max}], got ${describeValue(value)}`);
    }
    return n as number;
  };
  const masterAddr = given.masterAddr ?? env.MASTER_ADDR;
  if (masterAddr === undefined) throw new RangeError(`${api}: MASTER_ADDR is not set: ${HOW}`);
  if (typeof masterAddr !== 'string' || masterAddr.trim() === '')
    throw new TypeError(`${api}: masterAddr must be a host name or address, got ${describeValue(masterAddr)}`);
  const worldSize = integer('worldSize', 'WORLD_SIZE', 1, 65536);
  const rank = integer('rank', 'RANK', 0, 65535);
  if (rank >= worldSize) throw new RangeError(`${api}: RANK ${rank} is not below WORLD_SIZE ${worldSize}`);
  const backend: unknown = given.backend;
  if (backend !== undefined && backend !== 'gloo' && backend !== 'nccl')
    throw new RangeError(`${api}: backend must be 'gloo' or 'nccl', got ${describeValue(backend)}`);
  return {
    backend,
    masterAddr: masterAddr.trim(),
    masterPort: integer('masterPort', 'MASTER_PORT', 1, 65535),
    rank,
    worldSize,
    localRank: integer('localRank', 'LOCAL_RANK', 0, 65535, 0),
    timeoutMs: integer('timeoutMs', 'TORCHLET_DIST_TIMEOUT_MS', 1, 7 * 86_400_000, DEFAULT_TIMEOUT_MS),
  };
}
