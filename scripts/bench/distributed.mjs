#!/usr/bin/env node
// Data-parallel training on this machine: the seed CNN at one global batch, trained by N processes
// of one intra-op thread each (torchlet launch, Gloo on loopback) against one process of N
// threads, with PyTorch's DistributedDataParallel and PyTorch alone on the same model, weights and
// data protocol as references. Also, per step: the time spent waiting for the gradient all-reduce,
// the bytes each rank reduces, and the bytes that crossed loopback (all ranks).
// Configurations run in the order A B C D D C B A, so that drift falls on all alike; ms/step is the
// median of every timed pass. Run it with `npm run bench -- --workload distributed [options]`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tl from '../../dist/index.js';
import { readBuildStamp } from '../../dist/addon-build.js';
import { freePort } from '../../dist/distributed/free-port.js';
import { locateLibtorch, matchingPython } from '../../dist/libtorch.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const { values: o } = parseArgs({
  options: {
    'batch-sizes': { type: 'string', default: '32,128' },
    nproc: { type: 'string', default: '2' },
    steps: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    repeats: { type: 'string', default: '3' },
    python: { type: 'string' },
    'bucket-mb': { type: 'string', default: '25' },
    json: { type: 'string' },
  },
});
const nproc = Number(o.nproc);
const python = o.python === 'none' ? null : (o.python ?? matchingPython(readBuildStamp(join(root, 'build')) ?? locateLibtorch()));

// Runs `count` processes of `command args` (as ranks when count > 1) and resolves to rank 0's JSON line.
async function run(command, args, count, env = {}) {
  const port = await freePort();
  const children = Array.from({ length: count }, (_, rank) =>
    spawn(command, args, {
      cwd: here,
      env: {
        ...process.env,
        ...env,
        ...(count > 1 && {
          MASTER_ADDR: '127.0.0.1',
          MASTER_PORT: String(port),
          RANK: String(rank),
          WORLD_SIZE: String(count),
          LOCAL_RANK: String(rank),
        }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  let err = '';
  children[0].stdout.on('data', (d) => (out += d));
  children.forEach((c) => c.stderr.on('data', (d) => (err = (err + d).slice(-2000))));
  const codes = await Promise.all(children.map((c) => new Promise((resolve) => c.on('exit', resolve))));
  if (codes.some((c) => c !== 0))
    throw new Error(`${command} ${args[0]} exited with ${codes}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(out.trim().split('\n').at(-1));
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'torchlet-bench-dist-'));
  const rows = [];
  try {
    tl.manualSeed(0);
    const modelDir = join(work, 'model');
    await tl.referenceCnn().save(modelDir);
    const weights = join(modelDir, JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')).weights);
    for (const batchSize of o['batch-sizes'].split(',').map(Number)) {
      const common = ['--batch-size', String(batchSize), '--steps', o.steps, '--warmup', o.warmup, '--repeats', o.repeats];
      const torchlet = (procs) => () =>
        run(
          process.execPath,
          [
            join(here, 'distributed_worker.mjs'),
            '--model',
            modelDir,
            ...common,
            '--threads',
            String(nproc / procs),
            '--bucket-mb',
            o['bucket-mb'],
          ],
          procs,
        );
      const pytorch = (procs) => () =>
        run(
          python,
          [
            join(here, 'pytorch_ddp.py'),
            '--model',
            join(modelDir, 'model.json'),
            '--weights',
            weights,
            ...common,
            '--threads',
            String(nproc / procs),
          ],
          procs,
        );
      const configs = [
        { family: 'torchlet', procs: 1, name: `torchlet, 1 process x ${nproc} threads`, run: torchlet(1) },
        { family: 'torchlet', procs: nproc, name: `torchlet, ${nproc} processes x 1 thread`, run: torchlet(nproc) },
        ...(python
          ? [
              { family: 'PyTorch', procs: 1, name: `PyTorch, 1 process x ${nproc} threads`, run: pytorch(1) },
              { family: 'PyTorch', procs: nproc, name: `PyTorch DDP, ${nproc} processes x 1 thread`, run: pytorch(nproc) },
            ]
          : []),
      ];
      const passes = new Map(configs.map((c) => [c.name, []]));
      const meta = new Map();
      for (const config of [...configs, ...[...configs].reverse()]) {
        process.stderr.write(`bench: batch ${batchSize}, ${config.name}\n`);
        const result = await config.run();
        passes.get(config.name).push(...result.passes);
        meta.set(config.name, { threads: result.threads, torchVersion: result.torchVersion });
      }
      for (const { family, procs, name } of configs) {
        const p = passes.get(name);
        const ms = median(p.map((x) => x.msPerStep));
        const row = {
          batchSize,
          family,
          procs,
          name,
          ...meta.get(name),
          msPerStep: ms,
          imagesPerSecond: (batchSize * 1000) / ms,
          passes: p,
        };
        if (p[0].waitMsPerStep !== undefined) {
          for (const key of ['waitMsPerStep', 'bytesPerStep', 'collectivesPerStep', 'loopbackBytesPerStep'])
            row[key] = median(p.map((x) => x[key]));
        }
        rows.push(row);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const fmt = (v, digits = 1) => (v === undefined ? '' : v.toLocaleString('en-US', { maximumFractionDigits: digits }));
  console.log(`\nSeed CNN training on ${nproc} cores, Gloo on loopback (${o.steps} steps x ${o.repeats} passes x 2 runs, median)\n`);
  console.log(
    '| global batch | configuration | ms/step | img/s | vs 1 process | all-reduce wait ms/step | reduced bytes/step/rank | loopback bytes/step |',
  );
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const alone = rows.find((x) => x.batchSize === r.batchSize && x.family === r.family && x.procs === 1);
    console.log(
      `| ${r.batchSize} | ${r.name} | ${fmt(r.msPerStep, 2)} | ${fmt(r.imagesPerSecond, 0)} | ${fmt(alone.msPerStep / r.msPerStep, 2)}x | ${fmt(r.waitMsPerStep, 2)} | ${fmt(r.bytesPerStep, 0)} | ${fmt(r.loopbackBytesPerStep, 0)} |`,
    );
  }
  for (const b of new Set(rows.map((r) => r.batchSize))) {
    const ours = rows.find((r) => r.batchSize === b && r.family === 'torchlet' && r.procs > 1);
    const ddp = rows.find((r) => r.batchSize === b && r.family === 'PyTorch' && r.procs > 1);
    if (ddp)
      console.log(
        `\nBatch ${b}: torchlet data-parallel is ${fmt(ddp.msPerStep / ours.msPerStep, 2)}x the speed of PyTorch DDP (img/s ratio).`,
      );
  }
  if (o.json) writeFileSync(o.json, JSON.stringify({ nproc, steps: Number(o.steps), repeats: Number(o.repeats), rows }, null, 2));
}

await main();
