#!/usr/bin/env node
// torchlet against PyTorch, side by side in one run: the same model (PyTorch builds it from the
// model.json torchlet writes), the same initial weights, batch size, thread count and device.
// Each runner is a process of its own; their timed passes are interleaved (torchlet, PyTorch,
// PyTorch, torchlet, ...) so that a shared machine's changing load falls on all of them alike.
// Prints a markdown table; --json writes every figure and the environment.
// Run it with `npm run bench -- [options]`.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tl from '../../dist/index.js';
import { readBuildStamp } from '../../dist/addon-build.js';
import { locateLibtorch, matchingPython } from '../../dist/libtorch.js';
import { WORKLOADS } from './workloads.mjs';
import { cpuFloorLines, cpuPeak, flopsPerExample } from './floor.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const HELP = `Usage: npm run bench -- [options]

Measures training and inference throughput of torchlet and PyTorch side by side.

Options:
  --workload LIST        seed-cnn (default), inference, airbench, or all; comma-separated; or alone:
                         event-loop, how free the event loop stays during fit (event-loop.mjs), or
                         distributed, N processes of 1 thread against 1 of N, and PyTorch DDP (distributed.mjs)
  --batch-sizes LIST     batch sizes, comma-separated (default 32,128)
  --steps N              timed steps per pass (default 20), or more:
  --min-pass-ms N        each runner times passes of at least N ms (default 250) at its warm-up's
                         pace: after an idle wait the first steps run slower, on both sides alike,
                         and a short pass is mostly those
  --warmup N             untimed steps before timing (default 5)
  --warmup-seconds S     then untimed passes until S seconds have passed since the first step ended
                         (default 2), on both sides: V8 optimizes torchlet's per-step JavaScript in
                         the background over its first thousand or so steps
  --repeats N            timed passes per runner, interleaved across runners; ms/step is their median (default 5)
  --device D             cpu, cuda or cuda:N (default: cuda when available, else cpu)
  --threads N            intra-op threads for both sides (default: the machine's cores, ${availableParallelism()} here)
  --python PATH          the Python with PyTorch (default: the one whose PyTorch matches the libtorch
                         torchlet is built against, e.g. the project's .venv); 'none' skips PyTorch
  --modes LIST           torchlet's modes: eager, graph (a CUDA graph per step), bf16, graph+bf16
                         (default: eager on the CPU; eager,graph,graph+bf16 on CUDA)
  --pytorch-variants L   default, channels_last, compile (torch.compile, PyTorch 2.x),
                         compile_max_autotune (mode="max-autotune"), cuda_graph (CUDA), bf16
                         (channels_last under bf16 autocast) and compile_bf16 (PyTorch 2.x);
                         default: default,channels_last, with compile on PyTorch 2.x (and
                         compile_max_autotune for inference, as its autotuning is slow to train),
                         cuda_graph on CUDA, and the bf16 ones when torchlet's modes include bf16
  --keras PATH           the Python with Keras 3 on TensorFlow, to time the seed program's own stack
                         (model.fit, as the seed program trains; CPU only; default: the project's
                         .venv-keras when it exists); 'none' skips it
  --tfjs                 also time @tensorflow/tfjs on its CPU backend (must be installed; slow: 3 steps)
  --json FILE            write every figure and the environment to FILE
  -h, --help             show this help
`;

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

// The project's Keras (scripts/setup.sh installs it), when there is one.
function defaultKeras() {
  const python = join(here, '..', '..', '.venv-keras', 'bin', 'python');
  return existsSync(python) ? python : null;
}

// The Python whose PyTorch matches the libtorch torchlet is built against.
function defaultPython() {
  const libtorch = readBuildStamp(join(here, '..', '..', 'build')) ?? locateLibtorch();
  const python = matchingPython(libtorch);
  if (!python)
    fail(
      `no Python with PyTorch ${libtorch.version} (the libtorch torchlet is built against) was found; pass --python PATH, or --python none`,
    );
  return python;
}

function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        workload: { type: 'string', default: 'seed-cnn' },
        'batch-sizes': { type: 'string', default: '32,128' },
        steps: { type: 'string', default: '20' },
        warmup: { type: 'string', default: '5' },
        'warmup-seconds': { type: 'string', default: '2' },
        'min-pass-ms': { type: 'string', default: '250' },
        repeats: { type: 'string', default: '5' },
        device: { type: 'string' },
        threads: { type: 'string', default: String(availableParallelism()) },
        python: { type: 'string' },
        modes: { type: 'string' },
        'pytorch-variants': { type: 'string' },
        keras: { type: 'string' },
        tfjs: { type: 'boolean', default: false },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    fail(`${error.message.split('\n')[0]} (run npm run bench -- --help)`);
  }
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  if (values.workload === 'distributed') {
    // N processes against one (and PyTorch DDP): its own script, see distributed.mjs.
    const args = [
      '--batch-sizes',
      values['batch-sizes'],
      ...(values.python ? ['--python', values.python] : []),
      ...(values.json ? ['--json', values.json] : []),
    ];
    const result = spawnSync(process.execPath, [join(here, 'distributed.mjs'), ...args], { stdio: 'inherit' });
    process.exit(result.status ?? 1);
  }
  if (values.workload === 'event-loop') {
    // Not a throughput race against PyTorch: its own script, at the first batch size.
    const batch = values['batch-sizes'].split(',')[0].trim();
    const result = spawnSync(process.execPath, [join(here, 'event-loop.mjs'), '--batch-size', batch], { stdio: 'inherit' });
    process.exit(result.status ?? 1);
  }
  const positive = (name, text, min = 1) => {
    if (!/^\d+$/.test(text) || Number(text) < min) fail(`--${name} must be an integer >= ${min}, got '${text}'`);
    return Number(text);
  };
  const workloads = values.workload === 'all' ? Object.keys(WORKLOADS) : values.workload.split(',');
  for (const w of workloads) if (!WORKLOADS[w]) fail(`unknown workload '${w}' (expected ${Object.keys(WORKLOADS).join(', ')} or all)`);
  const onCuda = (values.device ?? tl.defaultDevice()).startsWith('cuda');
  const python = values.python === 'none' ? null : (values.python ?? defaultPython());
  const pythonTorch = pythonTorchVersion(python);
  const torch2 = pythonTorch !== null && Number(pythonTorch.split('.')[0]) >= 2;
  const modes = (values.modes ?? (onCuda ? 'eager,graph,graph+bf16' : 'eager')).split(',');
  const bf16 = modes.some((m) => m.includes('bf16'));
  const variants = (
    values['pytorch-variants'] ??
    [
      'default',
      'channels_last',
      ...(torch2 ? ['compile', 'compile_max_autotune'] : []),
      ...(onCuda ? ['cuda_graph'] : []),
      ...(bf16 ? ['bf16', ...(torch2 ? ['compile_bf16'] : [])] : []),
    ].join(',')
  ).split(',');
  for (const m of modes)
    if (!['eager', 'graph', 'bf16', 'graph+bf16'].includes(m)) fail(`unknown mode '${m}' (expected eager, graph, bf16 or graph+bf16)`);
  for (const v of variants)
    if (!['default', 'channels_last', 'cuda_graph', 'compile', 'compile_max_autotune', 'bf16', 'compile_bf16'].includes(v))
      fail(`unknown PyTorch variant '${v}'`);
  let device;
  try {
    device = tl.normalizeDevice(values.device ?? tl.defaultDevice(), '--device');
  } catch (error) {
    fail(error.message);
  }
  return {
    workloads,
    batchSizes: values['batch-sizes'].split(',').map((b) => positive('batch-sizes', b.trim())),
    steps: positive('steps', values.steps),
    warmup: positive('warmup', values.warmup, 0),
    warmupSeconds: positive('warmup-seconds', values['warmup-seconds'], 0),
    minPassMs: positive('min-pass-ms', values['min-pass-ms'], 0),
    repeats: positive('repeats', values.repeats),
    threads: positive('threads', values.threads),
    device,
    python,
    pythonTorch,
    variants,
    variantsGiven: values['pytorch-variants'] !== undefined,
    modes,
    // Keras runs on TensorFlow for the CPU here (tensorflow-cpu): not on a CUDA device.
    keras: onCuda || values.keras === 'none' ? null : (values.keras ?? defaultKeras()),
    tfjs: values.tfjs,
    json: values.json,
  };
}

// A runner process: it warms up, says it is ready, then answers 'run' with one timed pass and
// 'done' with its peak memory (see torchlet_bench.mjs and pytorch_bench.py).
class Runner {
  constructor(name, command, args) {
    this.name = name;
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    this.child.stderr.on('data', (chunk) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
    this.result = { msPerStep: [] };
  }

  async next() {
    for (;;) {
      const { value, done } = await this.lines.next();
      if (done) throw new Error(this.stderr.trim().split('\n').slice(-3).join(' | ') || 'exited without output');
      if (value.startsWith('{')) return JSON.parse(value);
    }
  }

  async ready() {
    try {
      Object.assign(this.result, await this.next());
    } catch (error) {
      this.result.error = error.message;
    }
  }

  async run() {
    if (this.result.error) return;
    try {
      this.child.stdin.write('run\n');
      this.result.msPerStep.push((await this.next()).msPerStep);
    } catch (error) {
      this.result.error = error.message;
    }
  }

  async finish() {
    if (!this.result.error) {
      this.child.stdin.write('done\n');
      Object.assign(this.result, await this.next().catch((error) => ({ error: error.message })));
    }
    this.child.stdin.end();
    this.child.kill();
    return this.result;
  }
}

// A pause between passes of different runners: an OpenMP pool keeps spinning for a moment after
// its work ends, and must not eat into the next runner's pass.
const SETTLE_MS = 300;

function summarise(result, batchSize) {
  if (result.error) return { error: result.error };
  const sorted = [...result.msPerStep].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {
    ...result,
    median,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    imagesPerSecond: (1000 * batchSize) / median,
    epochSeconds: (50000 * median) / 1000 / batchSize,
  };
}

function environment(opts, pythonTorch) {
  const info = tl.backendInfo();
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    threads: opts.threads,
    device: opts.device,
    node: process.version,
    libtorch: info.torchVersion,
    libtorchSource: info.libtorchSource,
    cudaBuild: info.cudaBuild,
    torch: pythonTorch,
  };
}

function pythonTorchVersion(python) {
  if (!python) return null;
  try {
    return execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();
  } catch {
    fail(`${python} cannot import torch; pass --python PATH to a Python with PyTorch, or --python none`);
  }
}

const mb = (bytes) => (bytes / 2 ** 20).toFixed(0);

function table(rows) {
  // One ratio column per PyTorch variant that ran, and one for Keras.
  const versus = [...new Set(rows.filter((r) => r.runner.startsWith('pytorch') || r.runner.startsWith('keras')).map((r) => r.runner))];
  const title = (v) => v.replace('pytorch', 'PyTorch').replace('keras (tensorflow)', 'Keras');
  const lines = [
    `| workload | batch | runner | img/s | ms/step (median, min–max) | 50k-image epoch | peak memory | first step |${versus.map((v) => ` vs ${title(v)} |`).join('')}`,
    `|---|---:|---|---:|---|---:|---:|---:|${versus.map(() => '---:|').join('')}`,
  ];
  for (const r of rows) {
    if (r.error) {
      lines.push(`| ${r.workload} | ${r.batchSize} | ${r.runner} | failed: ${r.error} | | | | |${versus.map(() => ' |').join('')}`);
      continue;
    }
    const ratios = versus.map((v) => ` ${r.ratios?.[v] ? `${r.ratios[v].toFixed(2)}×` : ''} |`).join('');
    lines.push(
      `| ${r.workload} | ${r.batchSize} | ${r.runner} | ${r.imagesPerSecond.toFixed(0)} | ${r.median.toFixed(2)} (${r.min.toFixed(2)}–${r.max.toFixed(2)}) | ${r.epochSeconds.toFixed(r.epochSeconds < 10 ? 2 : 1)} s | ${mb(r.peakMemory)} MiB | ${r.firstStepSeconds == null ? '' : `${r.firstStepSeconds.toFixed(2)} s`} |${ratios}`,
    );
  }
  return lines.join('\n');
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  const { pythonTorch } = opts;
  const env = environment(opts, pythonTorch);
  process.stderr.write(
    `bench: ${env.cpu}, ${opts.threads} threads, device ${opts.device}, libtorch ${env.libtorch}${pythonTorch ? `, PyTorch ${pythonTorch}` : ''}\n`,
  );
  const work = mkdtempSync(join(tmpdir(), 'torchlet-bench-'));
  const rows = [];
  try {
    for (const name of opts.workloads) {
      const workload = WORKLOADS[name];
      // One model per workload, saved once: both sides load these weights.
      tl.manualSeed(0);
      const modelDir = join(work, name);
      await workload.model().save(modelDir);
      // What the Python runners load: the model's description and the weights file it names.
      const modelJson = join(modelDir, 'model.json');
      const weightsFile = join(modelDir, JSON.parse(readFileSync(modelJson, 'utf8')).weights);
      const pythonModel = ['--model', modelJson, '--weights', weightsFile, '--workload', workload.task];
      for (const batchSize of opts.batchSizes) {
        const common = [
          '--batch-size',
          String(batchSize),
          '--steps',
          String(opts.steps),
          '--warmup',
          String(opts.warmup),
          '--threads',
          String(opts.threads),
          '--device',
          opts.device,
        ];
        const warm = ['--warmup-seconds', String(opts.warmupSeconds), '--min-pass-ms', String(opts.minPassMs)];
        // Each runner is started only when the one before it is warm: warm-ups (and the time to
        // first step, which includes the process's start) do not compete.
        const starts = opts.modes.map((mode) => () => {
          const flags = [...(mode.includes('graph') ? ['--cuda-graph'] : []), ...(mode.includes('bf16') ? ['--precision', 'bf16'] : [])];
          return new Runner(mode === 'eager' ? 'torchlet' : `torchlet ${mode}`, process.execPath, [
            join(here, 'torchlet_bench.mjs'),
            '--model',
            modelDir,
            '--task',
            workload.task,
            ...flags,
            ...common,
            ...warm,
          ]);
        });
        if (opts.python) {
          for (const variant of opts.variants) {
            if (variant === 'compile_max_autotune' && workload.task === 'train' && !opts.variantsGiven) continue;
            starts.push(
              () =>
                new Runner(`pytorch ${variant}`, opts.python, [
                  join(here, 'pytorch_bench.py'),
                  ...pythonModel,
                  '--variant',
                  variant,
                  ...common,
                  ...warm,
                ]),
            );
          }
        }
        if (opts.keras) {
          starts.push(
            () => new Runner('keras (tensorflow)', opts.keras, [join(here, 'keras_bench.py'), ...pythonModel, ...common, ...warm]),
          );
        }
        if (opts.tfjs)
          starts.push(
            () =>
              new Runner('tfjs (cpu)', process.execPath, [
                join(here, 'tfjs_bench.mjs'),
                '--model',
                modelJson,
                '--task',
                workload.task,
                ...common,
              ]),
          );
        const runners = [];
        for (const start of starts) {
          const runner = start();
          await runner.ready();
          runners.push(runner);
        }
        for (let r = 0; r < opts.repeats; r++) {
          for (const runner of runners) {
            await runner.run();
            await sleep(SETTLE_MS);
          }
        }
        const group = [];
        for (const runner of runners) {
          const row = { workload: name, batchSize, runner: runner.name, ...summarise(await runner.finish(), batchSize) };
          group.push(row);
          process.stderr.write(
            `bench: ${name} batch ${batchSize} ${runner.name}: ${row.error ? `failed (${row.error})` : `${row.imagesPerSecond.toFixed(0)} img/s`}\n`,
          );
        }
        const others = group.filter((r) => !r.runner.startsWith('torchlet') && !r.error);
        for (const ours of group.filter((r) => r.runner.startsWith('torchlet') && !r.error)) {
          ours.ratios = Object.fromEntries(others.map((other) => [other.runner, ours.imagesPerSecond / other.imagesPerSecond]));
        }
        rows.push(...group);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // The floor: on a CPU from its measured peak (floor.mjs); on a GPU, the seed CNN's ~0.02 s per
  // 50,000-image epoch on a modern GPU.
  let floor = '';
  let floorData = null;
  if (opts.device.startsWith('cuda')) {
    const seed = rows
      .filter((r) => r.workload === 'seed-cnn' && r.runner.startsWith('torchlet') && !r.error)
      .sort((a, b) => a.epochSeconds - b.epochSeconds)[0];
    if (seed) {
      floor = `\nFastest seed-cnn epoch: ${seed.runner}, batch ${seed.batchSize}: ${seed.epochSeconds.toFixed(3)} s, ${(seed.epochSeconds / 0.02).toFixed(0)}× the ~0.02 s physical floor.`;
      floorData = { seedCnnFloorRatio: seed.epochSeconds / 0.02 };
    }
  } else {
    const flops = Object.fromEntries(opts.workloads.map((name) => [name, flopsPerExample(WORKLOADS[name].model(), WORKLOADS[name].task)]));
    const peak = cpuPeak(opts.threads);
    floor = `\n${cpuFloorLines(rows, flops, peak).join('\n')}`;
    floorData = { flopsPerExample: flops, cpuPeak: peak };
  }
  process.stdout.write(
    `${table(rows)}\n${floor}\n${env.cpu}, ${opts.threads} threads, ${opts.device}; libtorch ${env.libtorch} (${env.libtorchSource})${pythonTorch ? `, PyTorch ${pythonTorch}` : ''}; ${opts.repeats} interleaved passes per runner of at least ${opts.steps} steps and ${opts.minPassMs} ms, after ${opts.warmup} warm-up steps and ${opts.warmupSeconds} s.\n`,
  );
  if (opts.json)
    writeFileSync(opts.json, JSON.stringify({ environment: env, options: opts, results: rows, floor: floorData }, null, 2) + '\n');
}

await main();
