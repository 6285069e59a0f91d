// The benchmark must not rot: run it with tiny settings and check that it produced figures (not
// how fast they are: speed is measured by the benchmark itself, not in tests).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tl from '../lib/index.js';

const root = join(import.meta.dirname, '..');
const script = join(root, 'scripts', 'bench', 'benchmark.mjs');

describe('npm run bench', () => {
  it('measures torchlet, the PyTorch variants (torch.compile too on PyTorch 2.x) and Keras side by side, with the matching PyTorch, writing a table and JSON', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'bench-')), 'bench.json');
    const table = execFileSync(
      process.execPath,
      [
        script,
        '--workload',
        'seed-cnn,inference',
        '--batch-sizes',
        '4',
        '--steps',
        '2',
        '--warmup',
        '1',
        '--warmup-seconds',
        '1',
        '--min-pass-ms',
        '50',
        '--repeats',
        '2',
        '--device',
        'cpu',
        '--json',
        json,
      ],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    expect(table).toMatch(/^\| workload \| batch \| runner \| img\/s \|/);
    expect(table).toMatch(/; 2 interleaved passes per runner of at least 2 steps and 50 ms, after 1 warm-up steps and 1 s\.\n/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    // By default the benchmark compares with the PyTorch that matches the libtorch under test.
    expect(report.environment.torch).toMatch(new RegExp(`^${tl.backendInfo().torchVersion.replace(/\./g, '\\.')}`));
    const variants = [
      'pytorch default',
      'pytorch channels_last',
      ...(tl.backendInfo().torchVersion.startsWith('1.') ? [] : ['pytorch compile']),
    ];
    // max-autotune, slow to compile, is timed for inference only unless asked for.
    const inferenceOnly = tl.backendInfo().torchVersion.startsWith('1.') ? [] : ['pytorch compile_max_autotune'];
    // The seed program's own stack, Keras on TensorFlow (the project's .venv-keras).
    variants.push('keras (tensorflow)');
    const pattern = (name: string) => name.replace(/[()]/g, '\\$&');
    expect(table).toMatch(/ vs Keras \|/);
    for (const runner of ['torchlet', ...variants])
      expect(table).toMatch(new RegExp(`\\| seed-cnn \\| 4 \\| ${pattern(runner)} \\| \\d+ \\|`));
    for (const runner of ['torchlet', ...variants, ...inferenceOnly])
      expect(table).toMatch(new RegExp(`\\| inference \\| 4 \\| ${pattern(runner)} \\| \\d+ \\|`));
    expect(table).not.toMatch(/\| seed-cnn \| 4 \| pytorch compile_max_autotune/);
    expect(report.environment).toMatchObject({
      device: 'cpu',
      libtorch: expect.stringMatching(/^\d+\.\d+/),
      torch: expect.any(String),
      threads: expect.any(Number),
    });
    expect(report.results).toHaveLength(2 * (1 + variants.length) + inferenceOnly.length);
    // The physical floor: the convolutions' and dense layers' multiply-adds of the reference CNN
    // (30x30x32 outputs of 3x3x3, 13x13x64 of 3x3x32, 4x4x128 of 3x3x64, 512x512 and 512x10),
    // 2 FLOPs each, over the CPU's measured peak.
    const macs = [30 * 30 * 32 * 27, 13 * 13 * 64 * 288, 4 * 4 * 128 * 576, 512 * 512, 512 * 10];
    const forward = 2 * macs.reduce((a, b) => a + b);
    expect(report.floor.flopsPerExample).toEqual({ 'seed-cnn': 3 * forward - 2 * macs[0], inference: forward });
    expect(report.floor.cpuPeak.fp32).toBeGreaterThan(0);
    expect(table).toMatch(/Physical floor: this CPU's measured peak on \d+ threads is \d+ GFLOP\/s in float32/);
    expect(table).toMatch(
      /- seed-cnn, fp32: 30\.5 MFLOP per image; the 50,000-image floor is [\d.]+ s; torchlet at batch 4: [\d.]+ s, \d+% of peak\./,
    );
    for (const r of report.results) {
      expect(r.error).toBeUndefined();
      expect(r.msPerStep).toHaveLength(2);
      expect(r.passSteps).toBeGreaterThanOrEqual(2); // at least --steps, more for a 50 ms pass
      expect(r.imagesPerSecond).toBeGreaterThan(0);
      expect(r.epochSeconds).toBeCloseTo(50000 / r.imagesPerSecond, 6);
      expect(r.peakMemory).toBeGreaterThan(0);
      // From the process's start to the end of its first step: seconds, not hours.
      expect(r.firstStepSeconds).toBeGreaterThan(0);
      expect(r.firstStepSeconds).toBeLessThan(600);
    }
    const ours = report.results.find((r: { runner: string }) => r.runner === 'torchlet');
    expect(Object.keys(ours.ratios).sort()).toEqual([...variants].sort());
  });

  it('--workload distributed: 2 processes against 1, and PyTorch DDP against PyTorch, with the communication per step', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'bench-')), 'distributed.json');
    const table = execFileSync(
      process.execPath,
      [
        join(root, 'scripts', 'bench', 'distributed.mjs'),
        '--batch-sizes',
        '4',
        '--steps',
        '2',
        '--warmup',
        '1',
        '--repeats',
        '1',
        '--json',
        json,
      ],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    expect(table).toMatch(/\| 4 \| torchlet, 2 processes x 1 thread \| [\d.]+ \| [\d,]+ \| [\d.]+x \| [\d.]+ \| 1,444,192 \| [\d,]+ \|/);
    expect(table).toMatch(/Batch 4: torchlet data-parallel is [\d.]+x the speed of PyTorch DDP/);
    const { rows } = JSON.parse(readFileSync(json, 'utf8')) as {
      rows: { name: string; passes: unknown[]; imagesPerSecond: number; bytesPerStep?: number }[];
    };
    expect(rows.map((r) => r.name)).toEqual([
      'torchlet, 1 process x 2 threads',
      'torchlet, 2 processes x 1 thread',
      'PyTorch, 1 process x 2 threads',
      'PyTorch DDP, 2 processes x 1 thread',
    ]);
    for (const r of rows) {
      expect(r.passes).toHaveLength(2); // one pass in each of the two runs
      expect(r.imagesPerSecond).toBeGreaterThan(0);
    }
    // The reference CNN's 361,034 gradients and 10 presence flags (float32), and 2 float64 metric sums.
    expect(rows[1].bytesPerStep).toBe((361_034 + 10) * 4 + 2 * 8);
  });

  it('--help documents the options; a bad option is a one-line error', () => {
    const help = execFileSync(process.execPath, [script, '--help'], { encoding: 'utf8' });
    for (const option of [
      '--workload',
      '--batch-sizes',
      '--steps',
      '--warmup',
      '--warmup-seconds',
      '--min-pass-ms',
      '--repeats',
      '--device',
      '--threads',
      '--python',
      '--keras',
      '--tfjs',
      '--json',
    ])
      expect(help).toContain(option);
    const bad = spawnSync(process.execPath, [script, '--stepz', '3'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^bench: Unknown option '--stepz' \(run npm run bench -- --help\)\n$/);
    const warmup = spawnSync(process.execPath, [script, '--warmup-seconds', 'x'], { encoding: 'utf8' });
    expect(warmup.stderr).toBe("bench: --warmup-seconds must be an integer >= 0, got 'x'\n");
    const workload = spawnSync(process.execPath, [script, '--workload', 'resnet'], { encoding: 'utf8' });
    expect(workload.stderr).toBe("bench: unknown workload 'resnet' (expected seed-cnn, inference, airbench or all)\n");
  });
});
