import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertSupported,
  describeLibtorch,
  LibtorchNotFoundError,
  LibtorchUnsupportedError,
  locateLibtorch,
  matchingPython,
  pythonCandidates,
  readVersion,
  type Libtorch,
} from '../lib/libtorch.js';

interface Layout {
  /** '1.13.0' writes 1.x's torch/version.h; '2.14.1' writes 2.x's, which includes headeronly/version.h. */
  version?: string;
  cuda?: boolean;
  versionPy?: string;
  cxx11Abi?: boolean;
  /** 'zip' (lib/, share/cmake/Torch) or 'debian' (lib/x86_64-linux-gnu/ with cmake/Torch inside). */
  style?: 'zip' | 'debian';
}

// A fake libtorch folder with the files the locator looks at.
function fakeLibtorch(layout: Layout = {}, root = mkdtempSync(join(tmpdir(), 'fake-libtorch-'))): string {
  const { version = '2.14.1', style = 'zip', cxx11Abi = true } = layout;
  const libDir = join(root, style === 'zip' ? 'lib' : `lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`);
  const cmakeDir = style === 'zip' ? join(root, 'share/cmake/Torch') : join(libDir, 'cmake/Torch');
  const api = join(root, 'include/torch/csrc/api/include/torch');
  for (const dir of [libDir, cmakeDir, api, join(root, 'include/torch/headeronly')]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(libDir, 'libtorch.so'), '');
  // std::string's C++11 ABI shows in the mangled names c10 exports.
  writeFileSync(join(libDir, 'libc10.so'), cxx11Abi ? '\x7fELF _ZNSt7__cxx1112basic_stringIcE' : '\x7fELF _ZNSs4_Rep');
  if (layout.cuda) writeFileSync(join(libDir, 'libtorch_cuda.so'), '');
  if (layout.versionPy) writeFileSync(join(root, 'version.py'), layout.versionPy);
  writeFileSync(join(cmakeDir, 'TorchConfig.cmake'), '');
  const [major, minor, patch] = version.split('.');
  const defines = `#pragma once\n/// Indicates the major version of LibTorch.\n#define TORCH_VERSION_MAJOR ${major}\n#define TORCH_VERSION_MINOR ${minor}\n#define TORCH_VERSION_PATCH ${patch}\n`;
  if (Number(major) >= 2) {
    writeFileSync(join(api, 'version.h'), '#if !defined(TORCH_STABLE_ONLY)\n#include <torch/headeronly/version.h>\n#endif\n');
    writeFileSync(join(root, 'include/torch/headeronly/version.h'), defines);
  } else {
    writeFileSync(join(api, 'version.h'), defines);
  }
  return root;
}

// A fake python that prints `torchDir` as torch's folder, or fails like a python without torch.
function fakePython(torchDir: string | null, path = join(mkdtempSync(join(tmpdir(), 'fake-python-')), 'python3')): string {
  writeFileSync(path, torchDir ? `#!/bin/sh\necho '${torchDir}'\n` : '#!/bin/sh\nexit 1\n');
  chmodSync(path, 0o755);
  return path;
}

const noSystem = { TORCHLET_SYSTEM_LIB_DIRS: '' };

function locateError(options: Parameters<typeof locateLibtorch>[0]): Error {
  try {
    locateLibtorch(options);
  } catch (error) {
    return error as Error;
  }
  throw new Error('locateLibtorch found a libtorch');
}

describe('locateLibtorch', () => {
  it('uses LIBTORCH first and reads its version, CPU variant and C++ ABI', () => {
    const root = fakeLibtorch({ version: '2.13.0' });
    const found = locateLibtorch({ env: { LIBTORCH: root }, pythons: [fakePython(fakeLibtorch())] });
    expect(found).toEqual({
      source: 'LIBTORCH',
      root,
      libDir: join(root, 'lib'),
      includeDir: join(root, 'include'),
      cmakeDir: join(root, 'share/cmake/Torch'),
      version: '2.13.0',
      variant: 'cpu',
      cxx11Abi: true,
    });
  });

  it('makes a relative LIBTORCH absolute', () => {
    const root = fakeLibtorch();
    const found = locateLibtorch({ env: { LIBTORCH: relative(process.cwd(), root) } });
    expect(found).toMatchObject({ root, libDir: join(root, 'lib'), includeDir: join(root, 'include') });
  });

  it('reads the version from 1.x headers and 2.x headers (torch/headeronly/version.h)', () => {
    expect(readVersion(join(fakeLibtorch({ version: '1.13.0' }), 'include'))).toBe('1.13.0');
    expect(readVersion(join(fakeLibtorch({ version: '2.14.1' }), 'include'))).toBe('2.14.1');
    expect(readVersion(mkdtempSync(join(tmpdir(), 'no-headers-')))).toBe('unknown');
  });

  it('tells the pre-C++11 ABI from the C++11 one', () => {
    expect(locateLibtorch({ env: { LIBTORCH: fakeLibtorch({ cxx11Abi: false }) } }).cxx11Abi).toBe(false);
    expect(locateLibtorch({ env: { LIBTORCH: fakeLibtorch({ cxx11Abi: true }) } }).cxx11Abi).toBe(true);
  });

  it('takes a system prefix as LIBTORCH (Debian: lib/<multiarch>/ with cmake/Torch inside)', () => {
    const root = fakeLibtorch({ version: '1.13.0', style: 'debian' });
    const found = locateLibtorch({ env: { LIBTORCH: root } });
    expect(found.libDir).toMatch(/lib\/\w+-linux-gnu$/);
    expect(found.cmakeDir).toBe(join(found.libDir, 'cmake/Torch'));
    expect(found.version).toBe('1.13.0');
  });

  it('then a Python PyTorch install, with its CUDA version as the variant, remembering the Python', () => {
    const torchDir = fakeLibtorch({ cuda: true, versionPy: "__version__ = '2.14.1+cu130'\ncuda: Optional[str] = '13.0'\n" });
    const python = fakePython(torchDir);
    const found = locateLibtorch({ env: {}, pythons: [fakePython(null), python] });
    expect(found).toMatchObject({ source: 'python', root: torchDir, version: '2.14.1', variant: 'cu130', python });
  });

  it('asks the active virtual environment, then the project .venv, then python3', () => {
    const project = mkdtempSync(join(tmpdir(), 'project-'));
    const active = mkdtempSync(join(tmpdir(), 'active-venv-'));
    for (const venv of [join(project, '.venv'), active]) {
      mkdirSync(join(venv, 'bin'), { recursive: true });
      fakePython(null, join(venv, 'bin', 'python'));
    }
    const candidates = pythonCandidates({ VIRTUAL_ENV: active }, project);
    expect(candidates[0]).toBe(join(active, 'bin', 'python'));
    expect(candidates[1]).toBe(join(project, '.venv', 'bin', 'python'));
    expect(candidates.at(-1)).toBe('python3');
  });

  it('skips a LIBTORCH that holds no libtorch, a python without torch and one without its C++ distribution', () => {
    const bare = mkdtempSync(join(tmpdir(), 'bare-torch-'));
    const error = locateError({ env: { LIBTORCH: '/nonexistent', ...noSystem }, pythons: [fakePython(null), fakePython(bare)] });
    expect(error).toBeInstanceOf(LibtorchNotFoundError);
    expect(error.message).toMatch(/LIBTORCH=\/nonexistent: no libtorch\.so with TorchConfig\.cmake there/);
    expect(error.message).toMatch(/python3: no torch installed/);
    expect(error.message).toContain(`torch at ${bare} has no C++ distribution`);
    expect(error.message).toContain('system: no libtorch.so with cmake/Torch in (no folders: TORCHLET_SYSTEM_LIB_DIRS is empty)');
  });

  it('names every place searched and the three fixes when nothing is found', () => {
    const error = new LibtorchNotFoundError(['LIBTORCH: not set', 'python3: no torch installed']);
    expect(error.message).toMatch(/could not find libtorch/);
    expect(error.message).toContain('LIBTORCH=/path/to/libtorch');
    expect(error.message).toContain('pip install torch');
    expect(error.message).toContain('apt-get install libtorch-dev');
  });
});

describe('supported libtorch versions', () => {
  const at = (version: string): Libtorch => ({ ...locateLibtorch({ env: { LIBTORCH: fakeLibtorch() } }), version });

  it('accepts 1.13 and every later release', () => {
    for (const version of ['1.13.0', '1.13.1', '2.0.0', '2.13.0', '2.14.1', '3.0.0'])
      expect(() => assertSupported(at(version))).not.toThrow();
  });

  it('refuses older ones, and an unreadable version, in one message naming the version found and the range', () => {
    for (const version of ['1.12.1', '1.8.0', '0.4.1', 'unknown']) {
      const libtorch = at(version);
      expect(() => assertSupported(libtorch)).toThrowError(LibtorchUnsupportedError);
      expect(() => assertSupported(libtorch)).toThrowError(
        `torchlet supports libtorch 1.13 and later; found ${describeLibtorch(libtorch)}.`,
      );
    }
    expect(describeLibtorch(at('1.12.1'))).toMatch(/^libtorch 1\.12\.1 \(cpu, C\+\+11 ABI\) at .*\/lib \(from LIBTORCH\)$/);
  });
});

describe('matchingPython', () => {
  it('is the Python a libtorch came from', () => {
    const python = fakePython(fakeLibtorch());
    expect(matchingPython({ ...locateLibtorch({ env: {}, pythons: [python] }) })).toBe(python);
  });

  it("is a virtual environment's own Python when LIBTORCH names its torch folder", () => {
    const venv = mkdtempSync(join(tmpdir(), 'venv-'));
    const torchDir = join(venv, 'lib/python3.11/site-packages/torch');
    fakeLibtorch({ version: '2.14.1', versionPy: "__version__ = '2.14.1+cu130'\n" }, torchDir);
    mkdirSync(join(venv, 'bin'));
    const python = fakePython(torchDir, join(venv, 'bin', 'python'));
    expect(matchingPython(locateLibtorch({ env: { LIBTORCH: torchDir } }), {})).toBe(python);
  });
});
