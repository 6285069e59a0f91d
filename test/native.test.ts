import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBuildStamp } from '../lib/addon-build.js';
import * as tl from '../lib/index.js';
import { loadedAddon } from '../lib/native.js';
import { prebuildDir, prebuildName } from '../lib/prebuild.js';

const root = join(import.meta.dirname, '..');
const built = readBuildStamp(join(root, 'build'));

// A copy of the built package in a temporary folder, so that its addon can be broken on purpose.
function packageCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-load-'));
  cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

// The copy's source build, with one of the addon's dependencies renamed (same length), as if
// that library had gone away.
function withRenamedDependency(dir: string, from: string, to: string): string {
  const binary = readFileSync(join(root, 'build/Release/torchlet.node'));
  const at = binary.indexOf(Buffer.from(from));
  expect(at).toBeGreaterThan(0);
  Buffer.from(to).copy(binary, at);
  mkdirSync(join(dir, 'build/Release'), { recursive: true });
  writeFileSync(join(dir, 'build/Release/torchlet.node'), binary);
  cpSync(join(root, 'build/libtorch.json'), join(dir, 'build/libtorch.json'));
  return dir;
}

// The copy with a prebuild for the built libtorch, and a recorded libtorch that differs from it.
function withPrebuildFor(dir: string, recorded: object): string {
  mkdirSync(prebuildDir(dir), { recursive: true });
  writeFileSync(join(prebuildDir(dir), prebuildName(built!)), readFileSync(join(root, 'build/Release/torchlet.node')));
  mkdirSync(join(dir, 'build'));
  writeFileSync(join(dir, 'build/libtorch.json'), JSON.stringify({ ...built, ...recorded }));
  return dir;
}

function importError(dir: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    execFileSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(join(dir, 'dist/index.js'))})`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
  } catch (error) {
    return (error as { stderr: string }).stderr;
  }
  throw new Error('the import succeeded');
}

describe('loading the addon', () => {
  it('loads the source build, for the libtorch it was built against', () => {
    expect(loadedAddon.kind).toBe('source build');
    expect(loadedAddon.path).toBe(join(root, 'build/Release/torchlet.node'));
    expect(loadedAddon.libtorch?.version).toBe(tl.backendInfo().torchVersion);
    // The libraries mapped are the ones it was built against, not another libtorch on the machine.
    const maps = readFileSync('/proc/self/maps', 'utf8');
    expect(maps).toContain(join(loadedAddon.libtorch!.libDir, 'libtorch_cpu.so'));
  });

  it('an unloadable libtorch gives a NativeLoadError naming the fixes, not a bare dlopen message', () => {
    const stderr = importError(withRenamedDependency(packageCopy(), 'libtorch_cpu.so', 'libtorch_zzz.so'));
    expect(stderr).toMatch(/NativeLoadError: torchlet: the native addon could not be loaded/);
    expect(stderr).toContain('LIBTORCH=/path/to/libtorch');
    expect(stderr).toContain('pip install torch');
    expect(stderr).toContain('apt-get install libtorch-dev');
    expect(stderr).toMatch(/The system loader said: .*libtorch_zzz\.so/);
  });

  it.runIf(tl.backendInfo().cudaBuild)('a CUDA build without its CUDA runtime names the missing library and the fix', () => {
    const stderr = importError(withRenamedDependency(packageCopy(), 'libcudart.so', 'libcudzzz.so'));
    expect(stderr).toMatch(
      /NativeLoadError: torchlet: the native addon could not be loaded\.\nThe CUDA \d+ library libcudzzz\.so\.\d+, which this CUDA build of libtorch needs, is missing/,
    );
    expect(stderr).toMatch(/pip install nvidia-cuda-runtime/);
    expect(stderr).toMatch(/LD_LIBRARY_PATH/);
    expect(stderr).toContain('use a CPU libtorch');
  });

  it('a missing build says how to build it', () => {
    const stderr = importError(packageCopy());
    expect(stderr).toMatch(
      /NativeLoadError: torchlet: no build of the native addon exists for this platform. Build it with `npm run build`/,
    );
    expect(stderr).toContain('apt-get install libtorch-dev');
  });

  it('a libtorch older than 1.13 gets one message naming the version found and the supported range', () => {
    const stderr = importError(withPrebuildFor(packageCopy(), { version: '1.12.1' }));
    expect(stderr).toMatch(
      /NativeLoadError: torchlet: the native addon could not be loaded\.\ntorchlet supports libtorch 1\.13 and later; found libtorch 1\.12\.1 \(/,
    );
  });

  it('a libtorch with another C++ ABI than every prebuild is told to build from source', () => {
    const stderr = importError(withPrebuildFor(packageCopy(), { cxx11Abi: false }));
    expect(stderr).toContain(`torchlet: no prebuilt addon matches libtorch ${built!.version} (${built!.variant}, pre-C++11 ABI)`);
    expect(stderr).toContain(`Prebuilt: ${prebuildName(built!)}`);
    expect(stderr).toMatch(/npm rebuild torchlet.*torchlet supports libtorch 1\.13 and later/);
  });

  it('the matching prebuild loads and computes, with libtorch loaded by absolute path first', () => {
    const dir = withPrebuildFor(packageCopy(), {});
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const tl = await import(${JSON.stringify(join(dir, 'dist/index.js'))}); const { loadedAddon } = await import(${JSON.stringify(join(dir, 'dist/native.js'))}); console.log(loadedAddon.kind, tl.ones([2, 2]).sum().item())`,
      ],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe('prebuild 4');
  });
});
