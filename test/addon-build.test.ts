// Building the addon from source (lib/addon-build.ts): the hand-made configuration runs only when
// CMake's configure step fails, and says so; a compile error is reported as one; an unsupported
// libtorch is refused before anything runs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AddonBuildError, buildAddon, readBuildStamp } from '../lib/addon-build.js';
import { LibtorchUnsupportedError, locateLibtorch } from '../lib/libtorch.js';

const root = join(import.meta.dirname, '..');
const built = readBuildStamp(join(root, 'build'))!;

function quietBuild(options: Omit<Parameters<typeof buildAddon>[0], 'log'>) {
  const lines: string[] = [];
  try {
    return { path: buildAddon({ ...options, log: (line) => lines.push(line) }), lines };
  } catch (error) {
    return { error: error as Error, lines };
  }
}

describe('building the addon', () => {
  it('refuses a libtorch older than 1.13 before running CMake', () => {
    const out = mkdtempSync(join(tmpdir(), 'build-old-'));
    const { error, lines } = quietBuild({ libtorch: { ...built, version: '1.12.1' }, outDir: out });
    expect(error).toBeInstanceOf(LibtorchUnsupportedError);
    expect(error!.message).toMatch(/^torchlet supports libtorch 1\.13 and later; found libtorch 1\.12\.1 /);
    expect(lines).toEqual([]);
    expect(existsSync(join(out, 'CMakeCache.txt'))).toBe(false);
  });

  it('reports a compile error as one, without trying the hand-made configuration', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'build-broken-')), 'build');
    // A compiler launcher that always fails: configuring works, every compile fails.
    const { error, lines } = quietBuild({ libtorch: built, outDir: out, defines: ['CMAKE_CXX_COMPILER_LAUNCHER=/bin/false'] });
    expect(error).toBeInstanceOf(AddonBuildError);
    expect(error!.message).toMatch(
      /^torchlet: compiling the addon against libtorch [\d.]+ .* failed \(the compiler's messages are above\)$/,
    );
    expect(lines.join('\n')).not.toMatch(/by hand/);
  }, 300_000);

  it('configures libtorch by hand only when TorchConfig.cmake fails, saying so; then builds, loads, and rebuilds without reconfiguring', () => {
    // A libtorch whose TorchConfig.cmake fails, as some CUDA wheels' do on machines without every CUDA part.
    const fake = mkdtempSync(join(tmpdir(), 'libtorch-broken-config-'));
    symlinkSync(built.includeDir, join(fake, 'include'));
    symlinkSync(built.libDir, join(fake, 'lib'));
    if (existsSync(join(built.root, 'version.py'))) symlinkSync(join(built.root, 'version.py'), join(fake, 'version.py'));
    mkdirSync(join(fake, 'share/cmake/Torch'), { recursive: true });
    writeFileSync(join(fake, 'share/cmake/Torch/TorchConfig.cmake'), 'message(FATAL_ERROR "TorchConfig.cmake broken on purpose")\n');
    const libtorch = locateLibtorch({ env: { LIBTORCH: fake } });
    expect(libtorch).toMatchObject({ version: built.version, variant: built.variant });
    const out = join(fake, 'build');
    const first = quietBuild({ libtorch, outDir: out });
    expect(first.error).toBeUndefined();
    expect(first.lines.join('\n')).toContain(
      `torchlet: CMake's configure step failed with ${join(fake, 'share/cmake/Torch/TorchConfig.cmake')} (its messages are above); configuring libtorch by hand from ${join(fake, 'lib')} instead`,
    );
    const info = execFileSync(
      process.execPath,
      [
        '-e',
        `const a = require(${JSON.stringify(first.path)}); console.log(JSON.stringify([a.buildInfo().torchVersion, a.buildInfo().cudaBuild]))`,
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(info)).toEqual([built.version, built.variant !== 'cpu']);
    const again = quietBuild({ libtorch, outDir: out });
    expect(again.error).toBeUndefined();
    expect(again.lines.join('\n')).not.toMatch(/configur/);
  }, 600_000);
});
