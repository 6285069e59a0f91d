// Data-parallel training on c10d (Gloo on loopback): collectives, fit's equivalence with one
// process at the same global batch, and the faults a rank can cause.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { native } from '../../lib/native.js';
import { freePort, relativeDistance, runRanks, type RankResult } from './ranks.js';
import { processAlive } from '../../lib/process-alive.js';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'torchlet.js');
const rankScript = join(import.meta.dirname, 'rank.mjs');

// The progress lines without their timings, which differ from run to run.
function figures(output: string | undefined): string[] {
  return (output ?? '')
    .split('\n')
    .filter((line) => line.includes('loss'))
    .map((line) => line.replace(/^.*?- (?=\w+: )/, '').trim());
}

function ok(results: (RankResult | null)[]): RankResult[] {
  for (const r of results) {
    expect(r, 'a rank wrote no result').not.toBeNull();
    expect(r!.error).toBeUndefined();
  }
  return results as RankResult[];
}

describe('tl.distributed collectives', () => {
  it("this build binds c10d's Gloo process group (gloo's headers were found)", () => {
    expect(native.distributedAvailable).toBe(true);
  });

  it('allReduce, broadcast, allGather and barrier on 3 ranks; destroy() leaves no group', async () => {
    const run = await runRanks(3, 'collectives');
    expect(run.codes, run.stderr.join('\n')).toEqual([0, 0, 0]);
    for (const [rank, r] of ok(run.results).entries()) {
      expect(r.info).toEqual({ rank, worldSize: 3, backend: 'gloo', initialized: true });
      expect(r.sum).toEqual([6, 6, 6]);
      expect(r.mean).toEqual([2, 2]);
      expect(r.max).toEqual([2, 0]);
      expect(r.transposed).toEqual([
        [3, 9],
        [6, 12],
      ]);
      expect(r.broadcast).toEqual([20, 20]);
      expect(r.gathered).toEqual([
        [0, 0],
        [1, 1],
        [2, 2],
      ]);
      expect(r.errors).toEqual([
        expect.stringMatching(/^distributed.broadcast: src must be a rank in \[0, 3\), got 3/),
        expect.stringMatching(/^distributed.allReduce: op must be 'sum', 'mean', 'max', 'min' or 'product', got "avg"/),
        expect.stringMatching(/^distributed.allReduce: tensor must be a Tensor, got "x"/),
      ]);
      expect(r.afterDestroy).toEqual({ initialized: false, rank: 0, worldSize: 1 });
    }
  });
});

describe('data-parallel fit: N ranks at a global batch train as one process at that batch', () => {
  // 640 examples at batch 32: 20 steps, each rank taking 16 examples of each batch on 2 ranks.
  it.each([
    ['sgd', 1e-5],
    ['adam', 1e-4],
  ])('%s: 20 steps on 2 ranks give the weights, history and progress figures of one process', async (optimizer, tolerance) => {
    const env = { OPTIMIZER: optimizer, EXAMPLES: '640', BATCH: '32' };
    const [single, pair] = [await runRanks(0, 'fit', env), await runRanks(2, 'fit', env)];
    const [one] = ok(single.results);
    const [r0, r1] = ok(pair.results);
    expect(figures(one.output)).toHaveLength(1);
    expect(figures(r0.output)).toEqual(figures(one.output));
    expect(r0.output).toMatch(/Data-parallel on 2 ranks \(gloo\): each batch of 32 splits 16 \+ 16\n/);
    expect(r1.output).toBe(''); // only rank 0 shows progress
    expect(relativeDistance(r0.weights!, one.weights!)).toBeLessThan(tolerance);
    expect(r1.weights).toEqual(r0.weights); // the ranks apply the same reduced gradients
    for (const key of ['loss', 'accuracy']) {
      expect(r0.history![key][0]).toBeCloseTo(one.history![key][0], 6);
      expect(r1.history![key]).toEqual(r0.history![key]);
    }
    // The start broadcasts the 4 weight tensors and the shuffle's seed; then each of the 20 steps
    // reduces one bucket (127 float32 gradients and 4 presence flags) and the 2 float64 meter sums.
    const stats = r0.stats as { collectives: number; bytes: number; bucketsInBackward: number };
    expect(stats.collectives).toBe(4 + 1 + 20 * 2);
    expect(stats.bucketsInBackward).toBe(0); // one bucket: it is complete only with the last gradient
    expect(stats.bytes).toBe(127 * 4 + 8 + 20 * ((127 + 4) * 4 + 2 * 8));
  });

  it.each([
    [3, 100, 'the last batch of 4 splits 2 + 1 + 1'],
    [3, 98, 'the last batch of 2 leaves rank 2 nothing'],
    [2, 101, 'an odd batch size splits 17 + 16'],
  ])('%i ranks, %i examples: %s, over 2 shuffled epochs, as one process', async (world, examples) => {
    const env = { EXAMPLES: String(examples), BATCH: examples === 101 ? '33' : '32', EPOCHS: '2' };
    const [one] = ok((await runRanks(0, 'fit', env)).results);
    const ranks = ok((await runRanks(world, 'fit', env)).results);
    // Float rounding only (libtorch 1.13's kernels sum in another order): a wrong weighting of the
    // uneven parts moves the weights by 1e-2 and more.
    expect(relativeDistance(ranks[0].weights!, one.weights!)).toBeLessThan(1e-4);
    expect(figures(ranks[0].output)).toEqual(figures(one.output));
    for (const r of ranks) expect(r.weights).toEqual(ranks[0].weights);
  });

  it('buckets of one parameter each: every bucket but the last launches while backward still runs', async () => {
    // 4 weight tensors, 4 buckets. The dense layer's two are launched while the convolution's
    // backward still runs; its weight and bias gradients come out of one node, in an order that is
    // libtorch's (the bias's bucket goes first: it waits for the weight's only if that comes first).
    const [r0] = ok((await runRanks(2, 'fit', { BUCKET_MB: '0.000001', EXAMPLES: '640' })).results);
    const stats = r0.stats as { collectives: number; bucketsInBackward: number };
    expect(stats.collectives).toBe(4 + 1 + 20 * (4 + 1));
    expect(stats.bucketsInBackward).toBeGreaterThanOrEqual(20 * 2);
    expect(stats.bucketsInBackward).toBeLessThanOrEqual(20 * 3);
  });

  it('only rank 0 writes ModelCheckpoint files', async () => {
    const run = await runRanks(2, 'fit', { CHECKPOINT: '1', EPOCHS: '2', EXAMPLES: '64' });
    ok(run.results);
    expect(
      readdirSync(run.dir)
        .filter((f) => f.startsWith('ckpt'))
        .sort(),
    ).toEqual(['ckpt-rank0-1.safetensors', 'ckpt-rank0-2.safetensors']);
  });

  it('batch-norm statistics, which each rank updates from its own part, agree after each epoch', async () => {
    const ranks = ok((await runRanks(2, 'fit', { BN: '1', EXAMPLES: '128' })).results);
    expect(ranks[1].weights).toEqual(ranks[0].weights);
  });
});

describe('faults', () => {
  const timeout = { TORCHLET_DIST_TIMEOUT_MS: '3000' };

  it('a rank that dies mid-fit makes the others fail at once, naming it', async () => {
    const run = await runRanks(2, 'die', timeout);
    expect(run.codes).toEqual([1, 7]);
    const [r0, r1] = run.results;
    expect(r0!.error).toMatch(/^fit: gradient all-reduce #\d+ failed on rank 0: rank 1 \(pid \d+\) has exited/);
    expect(r0!.error).toContain(`pid ${r1!.pid}`);
    expect(r0!.failedAt! - r1!.stoppedAt!).toBeLessThan(3000);
  });

  it('a rank that hangs makes the others fail after the timeout, naming it', async () => {
    const run = await runRanks(2, 'hang', timeout, { stopOthersAfterMs: 500 });
    expect(run.codes[0]).toBe(1);
    expect(run.signals[1]).toBe('SIGKILL'); // still hung: killed by the test
    const [r0, r1] = run.results;
    expect(r0!.error).toMatch(
      /^fit: gradient all-reduce #(\d+) failed on rank 0: rank 1 \(pid \d+\) has not reached operation #\1 within 3 s \(it is at #\d+\)/,
    );
    const waited = r0!.failedAt! - r1!.stoppedAt!;
    expect(waited).toBeGreaterThanOrEqual(2900);
    expect(waited).toBeLessThan(3000 + 8000);
  });

  it('under torchlet launch, the rank that fails first ends the run, and the hung one is stopped: nothing is left running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'launched-'));
    const run = spawnSync(process.execPath, [bin, 'launch', '--nproc', '2', rankScript, 'hang'], {
      encoding: 'utf8',
      env: { ...process.env, ...timeout, OUT_DIR: dir, RESULT_INDEX: 'x', TORCHLET_NUM_THREADS: '1' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/torchlet launch: rank 0 \(pid \d+\) exited with code 1; stopping the other ranks/);
    expect(run.stdout + run.stderr).toMatch(/rank 1 \(pid \d+\) has not reached operation #\d+ within 3 s/);
    const pids = [...(run.stdout + run.stderr).matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBeGreaterThan(0);
    // Gone, within the moment a process takes to be reaped once its pipes have closed.
    const alive = () => pids.filter(processAlive);
    for (let tries = 0; tries < 200 && alive().length > 0; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(alive()).toEqual([]);
  });

  it('a port in use, a wrong WORLD_SIZE, a missing variable and a missing rank each get a clear message', async () => {
    const busy = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
    try {
      const [r] = (await runRanks(1, 'init', { MASTER_PORT: String(port), ...timeout })).results;
      expect(r!.error).toBe(
        `distributed.init: MASTER_PORT ${port} on 127.0.0.1 is already in use (another job, or an earlier run still stopping): choose another port`,
      );
    } finally {
      busy.close();
    }
    const mixed = await runRanks(2, 'init', { ...timeout });
    expect(mixed.codes).toEqual([0, 0]);
    // Rank 1 believes in a world of 3.
    const wrong = await runRanks(2, 'init', { ...timeout, WORLD_SIZE_OF_1: '3' });
    expect(wrong.results.map((r) => r?.error)).toEqual([
      expect.stringMatching(/^distributed.init: rank 1 was started with WORLD_SIZE 3, rank 0 with 2/),
      expect.stringMatching(/^distributed.init: rank 0 was started with WORLD_SIZE 2, rank 1 with 3/),
    ]);
    const [missing] = (await runRanks(0, 'init')).results;
    expect(missing!.error).toMatch(
      /^distributed.init: MASTER_ADDR is not set: start the script with `npx torchlet launch --nproc N script.js`/,
    );
    const [alone] = (await runRanks(1, 'init', { WORLD_SIZE: '2', ...timeout })).results;
    // TCPStore's server waits for the others (PyTorch 2.x), or the first read of their keys does (1.13).
    expect(alone!.error).toMatch(
      /^distributed.init: (rank 0 of 2 could not meet the others at 127.0.0.1:\d+|rank 1 did not join) within 3 s/,
    );
    const [beyond] = (await runRanks(1, 'init', { RANK: '2', WORLD_SIZE: '2' })).results;
    expect(beyond!.error).toBe('distributed.init: RANK 2 is not below WORLD_SIZE 2');
  });
});
