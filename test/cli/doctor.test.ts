import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBuildStamp } from '../../lib/addon-build.js';
import { describeLibtorch, locateLibtorch } from '../../lib/libtorch.js';

const root = join(import.meta.dirname, '..', '..');
const built = readBuildStamp(join(root, 'build'))!;
const found = locateLibtorch({ cwd: root });

function doctor(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(process.execPath, [join(cwd, 'bin/torchlet.js'), 'doctor', ...args], { encoding: 'utf8', env, cwd });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('torchlet doctor', () => {
  it('reports the libtorch found, the addon loaded and the libraries it mapped, CUDA, threads, MKL and oneDNN', () => {
    const { code, out } = doctor(root, []);
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^libtorch:  ${describeLibtorch(found).replace(/[.()+]/g, '\\$&')}\n`));
    // A build for another libtorch than the one found now (LIBTORCH was set for the build) is pointed out.
    if (found.libDir !== built.libDir) expect(out).toContain('note:      the addon was built for another libtorch than the one found now');
    expect(out).toContain(
      `addon:     source build ${join(root, 'build/Release/torchlet.node')}\n           for ${describeLibtorch(built)}`,
    );
    expect(out).toContain(join(built.libDir, 'libtorch_cpu.so'));
    expect(out).toMatch(/^cuda: {6}(CUDA build|CPU-only build); \d+ GPU\(s\) visible/m);
    expect(out).toMatch(/^threads: {3}\d+ \(TORCHLET_NUM_THREADS sets them\)$/m);
    expect(out).toMatch(/^mkl: {7}(no|[\d.]+|yes)$/m);
    expect(out).toMatch(/^onednn: {4}(no|[\d.]+|yes)$/m);
  });

  it('--json gives the same report as data', () => {
    const { code, out } = doctor(root, ['--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report.addon).toMatchObject({ kind: 'source build', torchVersion: built.version, builtFor: { libDir: built.libDir } });
    // Debian's are versioned: libtorch_cpu.so.1.13.
    expect(report.addon.libraries.some((l: string) => l.startsWith(join(built.libDir, 'libtorch_cpu.so')))).toBe(true);
    expect(report.libtorch).toEqual(found);
  });

  it('without libtorch and without a build: exit code 1 and the exact commands that fix it', () => {
    const copy = mkdtempSync(join(tmpdir(), 'torchlet-doctor-'));
    for (const dir of ['dist', 'bin', 'package.json']) cpSync(join(root, dir), join(copy, dir), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    const hidden = { PATH: process.env.PATH, HOME: process.env.HOME, TORCHLET_PYTHON: '/bin/false', TORCHLET_SYSTEM_LIB_DIRS: '' };
    const { code, out } = doctor(copy, [], hidden);
    expect(code).toBe(1);
    expect(out).toMatch(/^libtorch: {2}none found\n {11}torchlet could not find libtorch\. Searched:/);
    expect(out).toMatch(/^addon: {5}does not load\n {11}torchlet: no build of the native addon exists for this platform/m);
    expect(out).toContain('python3 -m venv .venv && .venv/bin/pip install torch');
    expect(out).toContain('sudo apt-get install libtorch-dev');
    expect(out).toContain('export LIBTORCH=/path/to/libtorch');
    expect(out).toContain('npm rebuild torchlet');
  });

  it('--help documents it; a bad flag is a usage error', () => {
    expect(doctor(root, ['--help'])).toMatchObject({ code: 0, out: expect.stringContaining('Usage: torchlet doctor [--json]') });
    expect(doctor(root, ['--jsn'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^torchlet: Unknown option '--jsn'.*\(run torchlet doctor --help\)\n$/),
    });
  });
});
