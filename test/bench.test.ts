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
  it('measures torchlet and the PyTorch variants (torch.compile too on PyTorch 2.x) side by side, with the matching PyTorch, writing a table and JSON', () => {
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
    const report = JSON.parse(readFileSync(json, 'utf8'));
    // By default the benchmark compares with the PyTorch that matches the libtorch under test.
    expect(report.environment.torch).toMatch(new RegExp(`^${tl.backendInfo().torchVersion.replace(/\./g, '\\.')}`));
    const variants = [
      'pytorch default',
      'pytorch channels_last',
      ...(tl.backendInfo().torchVersion.startsWith('1.') ? [] : ['pytorch compile']),
    ];
    for (const runner of ['torchlet', ...variants]) {
      expect(table).toMatch(new RegExp(`\\| seed-cnn \\| 4 \\| ${runner} \\| \\d+ \\|`));
      expect(table).toMatch(new RegExp(`\\| inference \\| 4 \\| ${runner} \\| \\d+ \\|`));
    }
    expect(report.environment).toMatchObject({
      device: 'cpu',
      libtorch: expect.stringMatching(/^\d+\.\d+/),
      torch: expect.any(String),
      threads: expect.any(Number),
    });
    expect(report.results).toHaveLength(2 * (1 + variants.length));
    for (const r of report.results) {
      expect(r.error).toBeUndefined();
      expect(r.msPerStep).toHaveLength(2);
      expect(r.imagesPerSecond).toBeGreaterThan(0);
      expect(r.epochSeconds).toBeCloseTo(50000 / r.imagesPerSecond, 6);
      expect(r.peakMemory).toBeGreaterThan(0);
    }
    const ours = report.results.find((r: { runner: string }) => r.runner === 'torchlet');
    expect(Object.keys(ours.ratios).sort()).toEqual([...variants].sort());
  });

  it('--help documents the options; a bad option is a one-line error', () => {
    const help = execFileSync(process.execPath, [script, '--help'], { encoding: 'utf8' });
    for (const option of [
      '--workload',
      '--batch-sizes',
      '--steps',
      '--warmup',
      '--repeats',
      '--device',
      '--threads',
      '--python',
      '--tfjs',
      '--json',
    ])
      expect(help).toContain(option);
    const bad = spawnSync(process.execPath, [script, '--stepz', '3'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^bench: Unknown option '--stepz' \(run npm run bench -- --help\)\n$/);
    const workload = spawnSync(process.execPath, [script, '--workload', 'resnet'], { encoding: 'utf8' });
    expect(workload.stderr).toBe("bench: unknown workload 'resnet' (expected seed-cnn, inference, airbench or all)\n");
  });
});
