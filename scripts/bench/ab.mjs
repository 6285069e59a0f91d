// A/B of two torchlet builds on the same machine at the same time: this checkout against another
// built checkout (a worktree of an older commit, say). Both run scripts/bench/torchlet_bench.mjs
// in a process of their own, warm up, then time `fit` passes alternately, so that drift in the
// machine's speed falls on both alike (fit, or predict with --task inference). Prints each side's
// median ms/step and their ratio.
//   git worktree add /tmp/before <commit> && (cd /tmp/before && ln -s "$PWD/node_modules" . && npm run build)
//   node scripts/bench/ab.mjs --before /tmp/before [--task train|inference] [--batch-size 32] [--rounds 12] [--threads N]
//     [--precision bf16]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import * as tl from '../../dist/index.js';

const { values: a } = parseArgs({
  options: {
    before: { type: 'string' },
    task: { type: 'string', default: 'train' },
    'batch-size': { type: 'string', default: '32' },
    rounds: { type: 'string', default: '12' },
    threads: { type: 'string', default: String(availableParallelism()) },
    precision: { type: 'string', default: 'fp32' },
  },
});
const [batchSize, rounds] = [Number(a['batch-size']), Number(a.rounds)];
if (!a.before || !(batchSize > 0 && rounds > 0) || !['train', 'inference'].includes(a.task) || !['fp32', 'bf16'].includes(a.precision)) {
  console.error(
    'ab: usage: node scripts/bench/ab.mjs --before <built checkout> [--task train|inference] [--batch-size 32] [--rounds 12] [--precision fp32|bf16]',
  );
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'torchlet-ab-'));
await tl.referenceCnn().save(dir); // both sides train the same weights

function start(root) {
  const args = [join(root, 'scripts/bench/torchlet_bench.mjs'), '--model', dir, '--task', a.task, '--batch-size', String(batchSize)];
  args.push('--steps', '20', '--warmup', '5', '--warmup-seconds', '2', '--min-pass-ms', '250');
  args.push('--threads', a.threads, '--device', 'cpu', '--precision', a.precision);
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return { child, reply: async () => JSON.parse((await lines.next()).value) };
}
const sides = { before: start(resolve(a.before)), after: start(resolve(import.meta.dirname, '../..')) };
for (const side of Object.values(sides)) await side.reply(); // 'ready', after warm-up
const times = { before: [], after: [] };
for (let i = 0; i < rounds; i++) {
  for (const name of i % 2 ? ['after', 'before'] : ['before', 'after']) {
    sides[name].child.stdin.write('run\n');
    times[name].push((await sides[name].reply()).msPerStep);
  }
}
for (const side of Object.values(sides)) side.child.stdin.end('done\n');
rmSync(dir, { recursive: true, force: true });
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const [before, after] = [median(times.before), median(times.after)];
console.log(
  `${a.task}${a.precision === 'bf16' ? ' (bf16)' : ''}, batch ${batchSize}, ${rounds} rounds: before ${before.toFixed(2)} ms/step, after ${after.toFixed(2)} ms/step, after/before ${(after / before).toFixed(3)}`,
);
