import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

// A copy of the built package in a temporary folder, so that its addon can be broken on purpose.
function packageCopy(addon: 'none' | 'missing-libtorch'): string {
  const dir = mkdtempSync(join(tmpdir(), 'torchlet-load-'));
  cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  if (addon === 'missing-libtorch') {
    // Rename the addon's dependency on libtorch_cpu (same length), as if libtorch had gone away.
    const binary = readFileSync(join(root, 'build/Release/torchlet.node'));
    const from = Buffer.from('libtorch_cpu.so');
    const at = binary.indexOf(from);
    expect(at).toBeGreaterThan(0);
    Buffer.from('libtorch_zzz.so').copy(binary, at);
    mkdirSync(join(dir, 'build/Release'), { recursive: true });
    writeFileSync(join(dir, 'build/Release/torchlet.node'), binary);
  }
  return dir;
}

function importError(dir: string): string {
  try {
    execFileSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(join(dir, 'dist/index.js'))})`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    return (error as { stderr: string }).stderr;
  }
  throw new Error('the import succeeded');
}

describe('loading the addon', () => {
  it('an unloadable libtorch gives a NativeLoadError naming the fixes, not a bare dlopen message', () => {
    const stderr = importError(packageCopy('missing-libtorch'));
    expect(stderr).toMatch(/NativeLoadError: torchlet: the native addon could not be loaded/);
    expect(stderr).toContain('LIBTORCH=/path/to/libtorch');
    expect(stderr).toContain('pip install torch');
    expect(stderr).toContain('apt-get install libtorch-dev');
    expect(stderr).toMatch(/The system loader said: .*libtorch_zzz\.so/);
  });

  it('a missing build says how to build it', () => {
    const stderr = importError(packageCopy('none'));
    expect(stderr).toMatch(/NativeLoadError: torchlet: no build of the native addon exists for this platform. Build it with `npm run build`/);
    expect(stderr).toContain('apt-get install libtorch-dev');
  });
});
