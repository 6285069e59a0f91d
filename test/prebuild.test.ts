import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { availablePrebuilds, findPrebuild, libtorchLibraries, prebuildDir, prebuildName } from '../lib/prebuild.js';

function packageWith(files: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'prebuilds-'));
  mkdirSync(prebuildDir(root), { recursive: true });
  for (const f of files) writeFileSync(join(prebuildDir(root), f), '');
  return root;
}

const abi = { cxx11Abi: true };

describe('prebuild selection', () => {
  it('names a prebuild after its libtorch version, variant and C++ ABI', () => {
    expect(prebuildName({ version: '2.14.1', variant: 'cu130', cxx11Abi: true })).toBe('torchlet.libtorch-2.14.1.cu130.cxx11abi.node');
    expect(prebuildName({ version: '2.5.1', variant: 'cpu', cxx11Abi: false })).toBe('torchlet.libtorch-2.5.1.cpu.precxx11abi.node');
    expect(prebuildDir('/pkg')).toBe(`/pkg/prebuilds/${process.platform}-${process.arch}`);
  });

  it('picks the exact version, variant and ABI first', () => {
    const root = packageWith([
      'torchlet.libtorch-2.13.0.cpu.cxx11abi.node',
      'torchlet.libtorch-2.13.1.cpu.cxx11abi.node',
      'torchlet.libtorch-1.13.0.cpu.cxx11abi.node',
    ]);
    expect(findPrebuild(root, { version: '2.13.0', variant: 'cpu', ...abi })).toBe(
      join(prebuildDir(root), 'torchlet.libtorch-2.13.0.cpu.cxx11abi.node'),
    );
    expect(findPrebuild(root, { version: '1.13.0', variant: 'cpu', ...abi })).toBe(
      join(prebuildDir(root), 'torchlet.libtorch-1.13.0.cpu.cxx11abi.node'),
    );
  });

  it('else one of the same major.minor, variant family (cpu, or the same CUDA major) and ABI', () => {
    const root = packageWith(['torchlet.libtorch-2.14.0.cu130.cxx11abi.node', 'torchlet.libtorch-1.13.0.cpu.cxx11abi.node']);
    expect(findPrebuild(root, { version: '2.14.1', variant: 'cu131', ...abi })).toBe(
      join(prebuildDir(root), 'torchlet.libtorch-2.14.0.cu130.cxx11abi.node'),
    );
    expect(findPrebuild(root, { version: '1.13.1', variant: 'cpu', ...abi })).toBe(
      join(prebuildDir(root), 'torchlet.libtorch-1.13.0.cpu.cxx11abi.node'),
    );
  });

  it('finds nothing for another release line, variant, CUDA major or C++ ABI', () => {
    const root = packageWith([
      'torchlet.libtorch-2.14.1.cu130.cxx11abi.node',
      'torchlet.libtorch-2.13.0.cpu.cxx11abi.node',
      'notes.txt',
      'torchlet.libtorch-2.13.0.cpu.node',
    ]);
    expect(findPrebuild(root, { version: '2.15.0', variant: 'cu130', ...abi })).toBeNull();
    expect(findPrebuild(root, { version: '2.14.1', variant: 'cpu', ...abi })).toBeNull();
    expect(findPrebuild(root, { version: '2.14.1', variant: 'cu128', ...abi })).toBeNull();
    expect(findPrebuild(root, { version: '2.13.0', variant: 'cpu', cxx11Abi: false })).toBeNull();
    expect(availablePrebuilds(root).sort()).toEqual([
      'torchlet.libtorch-2.13.0.cpu.cxx11abi.node',
      'torchlet.libtorch-2.14.1.cu130.cxx11abi.node',
    ]);
    expect(findPrebuild(mkdtempSync(join(tmpdir(), 'none-')), { version: '1.13.0', variant: 'cpu', ...abi })).toBeNull();
  });

  it('loads libtorch c10 first and libtorch last, only what exists', () => {
    const lib = mkdtempSync(join(tmpdir(), 'lib-'));
    for (const f of ['libtorch.so', 'libc10.so', 'libtorch_cpu.so']) writeFileSync(join(lib, f), '');
    expect(libtorchLibraries(lib)).toEqual(['libc10.so', 'libtorch_cpu.so', 'libtorch.so'].map((f) => join(lib, f)));
  });
});
