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

describe('prebuild selection', () => {
  it('names a prebuild after its libtorch', () => {
    expect(prebuildName({ version: '2.5.1', variant: 'cu124' })).toBe('torchlet.libtorch-2.5.1.cu124.node');
    expect(prebuildDir('/pkg')).toBe(`/pkg/prebuilds/${process.platform}-${process.arch}`);
  });

  it('picks the exact version and variant first', () => {
    const root = packageWith(['torchlet.libtorch-2.5.0.cu124.node', 'torchlet.libtorch-2.5.1.cu124.node', 'torchlet.libtorch-1.13.0.cpu.node']);
    expect(findPrebuild(root, { version: '2.5.1', variant: 'cu124' })).toBe(join(prebuildDir(root), 'torchlet.libtorch-2.5.1.cu124.node'));
    expect(findPrebuild(root, { version: '1.13.0', variant: 'cpu' })).toBe(join(prebuildDir(root), 'torchlet.libtorch-1.13.0.cpu.node'));
  });

  it('else one of the same major.minor and variant family (cpu, or the same CUDA major)', () => {
    const root = packageWith(['torchlet.libtorch-2.5.0.cu121.node', 'torchlet.libtorch-1.13.0.cpu.node']);
    expect(findPrebuild(root, { version: '2.5.1', variant: 'cu124' })).toBe(join(prebuildDir(root), 'torchlet.libtorch-2.5.0.cu121.node'));
    expect(findPrebuild(root, { version: '1.13.1', variant: 'cpu' })).toBe(join(prebuildDir(root), 'torchlet.libtorch-1.13.0.cpu.node'));
  });

  it('finds nothing for another release line, variant or CUDA major', () => {
    const root = packageWith(['torchlet.libtorch-2.5.0.cu121.node', 'torchlet.libtorch-1.13.0.cpu.node', 'notes.txt']);
    expect(findPrebuild(root, { version: '2.6.0', variant: 'cu121' })).toBeNull();
    expect(findPrebuild(root, { version: '2.5.0', variant: 'cpu' })).toBeNull();
    expect(findPrebuild(root, { version: '2.5.0', variant: 'cu118' })).toBeNull();
    expect(availablePrebuilds(root).sort()).toEqual(['torchlet.libtorch-1.13.0.cpu.node', 'torchlet.libtorch-2.5.0.cu121.node']);
    expect(findPrebuild(mkdtempSync(join(tmpdir(), 'none-')), { version: '1.13.0', variant: 'cpu' })).toBeNull();
  });

  it('loads libtorch c10 first and libtorch last, only what exists', () => {
    const lib = mkdtempSync(join(tmpdir(), 'lib-'));
    for (const f of ['libtorch.so', 'libc10.so', 'libtorch_cpu.so']) writeFileSync(join(lib, f), '');
    expect(libtorchLibraries(lib)).toEqual(['libc10.so', 'libtorch_cpu.so', 'libtorch.so'].map((f) => join(lib, f)));
  });
});
