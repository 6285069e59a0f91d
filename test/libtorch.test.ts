import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LibtorchNotFoundError, locateLibtorch } from '../lib/libtorch.js';

// A fake libtorch folder with the files the locator looks at.
function fakeLibtorch(layout: { cuda?: boolean; versionPy?: string } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'fake-libtorch-'));
  mkdirSync(join(root, 'lib'));
  mkdirSync(join(root, 'share/cmake/Torch'), { recursive: true });
  mkdirSync(join(root, 'include/torch/csrc/api/include/torch'), { recursive: true });
  writeFileSync(join(root, 'lib/libtorch.so'), '');
  if (layout.cuda) writeFileSync(join(root, 'lib/libtorch_cuda.so'), '');
  if (layout.versionPy) writeFileSync(join(root, 'version.py'), layout.versionPy);
  writeFileSync(join(root, 'share/cmake/Torch/TorchConfig.cmake'), '');
  writeFileSync(
    join(root, 'include/torch/csrc/api/include/torch/version.h'),
    '#define TORCH_VERSION_MAJOR 2\n#define TORCH_VERSION_MINOR 5\n#define TORCH_VERSION_PATCH 1\n',
  );
  return root;
}

// A fake python3 that prints `torchDir` as torch's folder, or fails like a python without torch.
function fakePython(torchDir: string | null): string {
  const path = join(mkdtempSync(join(tmpdir(), 'fake-python-')), 'python3');
  writeFileSync(path, torchDir ? `#!/bin/sh\necho '${torchDir}'\n` : '#!/bin/sh\nexit 1\n');
  chmodSync(path, 0o755);
  return path;
}

describe('locateLibtorch', () => {
  it('uses LIBTORCH first and reads its version and CPU variant', () => {
    const root = fakeLibtorch();
    const found = locateLibtorch({ env: { LIBTORCH: root }, python: fakePython(fakeLibtorch()) });
    expect(found).toMatchObject({ source: 'LIBTORCH', root, libDir: join(root, 'lib'), version: '2.5.1', variant: 'cpu' });
    expect(found.cmakeDir).toBe(join(root, 'share/cmake/Torch'));
  });

  it('then a Python PyTorch install, with its CUDA version as the variant', () => {
    const torchDir = fakeLibtorch({ cuda: true, versionPy: "__version__ = '2.5.1+cu124'\ncuda: Optional[str] = '12.4'\n" });
    const found = locateLibtorch({ env: {}, python: fakePython(torchDir) });
    expect(found).toMatchObject({ source: 'python', root: torchDir, version: '2.5.1', variant: 'cu124' });
  });

  it('skips a LIBTORCH that holds no libtorch, and a python without torch', () => {
    const found = (() => {
      try {
        return locateLibtorch({ env: { LIBTORCH: '/nonexistent' }, python: fakePython(null) });
      } catch (error) {
        return error;
      }
    })();
    // Either the system's libtorch (Debian's libtorch-dev, as in CI) or the full "not found" error.
    if (found instanceof LibtorchNotFoundError) {
      expect(found.message).toMatch(/LIBTORCH=\/nonexistent: no lib\/libtorch.so/);
    } else {
      expect(found).toMatchObject({ source: 'system' });
    }
  });

  it('skips a python torch without the C++ distribution (as Debian packages it)', () => {
    const bare = mkdtempSync(join(tmpdir(), 'bare-torch-'));
    let message = '';
    try {
      const found = locateLibtorch({ env: {}, python: fakePython(bare) });
      expect(found.source).toBe('system');
    } catch (error) {
      message = (error as Error).message;
      expect(message).toContain(`torch at ${bare} has no C++ distribution`);
    }
  });

  it('names every place searched and the three fixes when nothing is found', () => {
    const error = new LibtorchNotFoundError(['LIBTORCH: not set', 'python3: no importable torch']);
    expect(error.message).toMatch(/could not find libtorch/);
    expect(error.message).toContain('LIBTORCH=/path/to/libtorch');
    expect(error.message).toContain('pip install torch');
    expect(error.message).toContain('apt-get install libtorch-dev');
  });
});
