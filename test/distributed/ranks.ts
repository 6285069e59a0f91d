// Runs rank.mjs as N ranks on loopback (or as the single process they compare with) and collects
// what each wrote.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../lib/distributed/free-port.js';

const script = join(import.meta.dirname, 'rank.mjs');

export interface RankResult {
  rank: number;
  pid: number;
  error?: string;
  history?: Record<string, number[]>;
  output?: string;
  weights?: number[][];
  stoppedAt?: number;
  failedAt?: number;
  [key: string]: unknown;
}

export interface Run {
  /** Where the ranks wrote (OUT_DIR). */
  dir: string;
  codes: (number | null)[];
  signals: (string | null)[];
  results: (RankResult | null)[];
  stderr: string[];
}

export { freePort };

/**
 * Starts `world` ranks of rank.mjs in `mode` (world 0: one process without the distributed
 * variables), with `env` added; kills any still running after `killAfterMs`, or `stopOthersAfterMs`
 * after one has failed.
 */
export async function runRanks(
  world: number,
  mode: string,
  env: Record<string, string> = {},
  { killAfterMs = 90_000, stopOthersAfterMs = 15_000 } = {},
): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'ranks-'));
  const port = await freePort();
  const count = Math.max(world, 1);
  const children = Array.from({ length: count }, (_, rank) => {
    const rankEnv: Record<string, string> =
      world === 0
        ? {}
        : { MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), RANK: String(rank), WORLD_SIZE: String(world), LOCAL_RANK: String(rank) };
    return spawn(process.execPath, [script, mode], {
      env: {
        ...process.env,
        TORCHLET_NUM_THREADS: '1',
        OUT_DIR: dir,
        RESULT_INDEX: String(rank),
        ...rankEnv,
        ...env,
        ...(env[`WORLD_SIZE_OF_${rank}`] ? { WORLD_SIZE: env[`WORLD_SIZE_OF_${rank}`] } : {}),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  });
  const stderr = children.map(() => '');
  children.forEach((c, k) => c.stderr.on('data', (d) => (stderr[k] = (stderr[k] + String(d)).slice(-4000))));
  const killAll = () => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'));
  const timers = [setTimeout(killAll, killAfterMs)];
  const exits = await Promise.all(
    children.map(
      (c) =>
        new Promise<[number | null, string | null]>((resolve) =>
          c.on('exit', (code, signal) => {
            // A rank that failed: the others get their timeout and a little more, then go.
            if (code !== 0) timers.push(setTimeout(killAll, stopOthersAfterMs));
            resolve([code, signal]);
          }),
        ),
    ),
  );
  timers.forEach(clearTimeout);
  const results = children.map((_, rank) => {
    const file = join(dir, `rank-${rank}.json`);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RankResult) : null;
  });
  return { dir, codes: exits.map((e) => e[0]), signals: exits.map((e) => e[1]), results, stderr };
}

/** The largest |a - b| over max |b|, per tensor: a relative distance that zeros do not inflate. */
export function relativeDistance(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((tensor, k) => {
    const scale = Math.max(...b[k].map(Math.abs), 1e-12);
    const diff = Math.max(...tensor.map((v, i) => Math.abs(v - b[k][i])));
    worst = Math.max(worst, diff / scale);
  });
  return worst;
}
