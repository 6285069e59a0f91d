// Prebuilt addons: one per platform, libtorch version, variant and C++ ABI, stored where
// node-gyp-build looks (prebuilds/<platform>-<arch>/) and named after the libtorch they were built
// against, so that the loader picks the one matching the libtorch it finds. (node-gyp-build itself matches
// only Node.js ABIs, not libtorch versions, so it loads source builds only.)
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Libtorch } from './libtorch.js';

/** The folder of this platform's prebuilds. */
export function prebuildDir(packageRoot: string): string {
  return join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
}

type PrebuildKey = Pick<Libtorch, 'version' | 'variant' | 'cxx11Abi'>;

/** The file name of the prebuild for `libtorch`: torchlet.libtorch-2.14.1.cu130.cxx11abi.node. */
export function prebuildName(libtorch: PrebuildKey): string {
  return `torchlet.libtorch-${libtorch.version}.${libtorch.variant}.${abiTag(libtorch)}.node`;
}

const abiTag = (libtorch: PrebuildKey) => (libtorch.cxx11Abi ? 'cxx11abi' : 'precxx11abi');

const PATTERN = /^torchlet\.libtorch-(\d+)\.(\d+)\.(\d+)\.(cpu|cuda|cu\d+)\.(cxx11abi|precxx11abi)\.node$/;

/**
 * The prebuild for `libtorch`: the exact version, variant and C++ ABI, else one for the same
 * major.minor version (libtorch keeps its C++ API within a release line), the same variant family
 * (cpu, or the same CUDA major version) and the same ABI. Null when there is none.
 */
export function findPrebuild(packageRoot: string, libtorch: PrebuildKey): string | null {
  const dir = prebuildDir(packageRoot);
  if (!existsSync(dir)) return null;
  const exact = join(dir, prebuildName(libtorch));
  if (existsSync(exact)) return exact;
  const [major, minor] = libtorch.version.split('.');
  const family = (variant: string) => (variant === 'cpu' ? 'cpu' : variant.slice(0, 4)); // cu12x → cu12
  for (const file of readdirSync(dir).sort().reverse()) {
    const m = PATTERN.exec(file);
    if (m && m[1] === major && m[2] === minor && family(m[4]) === family(libtorch.variant) && m[5] === abiTag(libtorch))
      return join(dir, file);
  }
  return null;
}

/** The prebuilds this package carries, for error messages. */
export function availablePrebuilds(packageRoot: string): string[] {
  const dir = prebuildDir(packageRoot);
  return existsSync(dir) ? readdirSync(dir).filter((f) => PATTERN.test(f)) : [];
}

/** libtorch's libraries in load order (those that exist), to load by absolute path before a prebuild. */
export function libtorchLibraries(libDir: string): string[] {
  return ['libc10.so', 'libtorch_cpu.so', 'libc10_cuda.so', 'libtorch_cuda.so', 'libtorch.so']
    .map((f) => join(libDir, f))
    .filter((p) => existsSync(p));
}

/**
 * The libtorch folders a development checkout prebuilds for (npm run prebuild -- --all): the
 * PyTorch of every virtual environment in it (.venv, .venv-*), then the system's prefix /usr.
 */
export function projectLibtorchFolders(root: string): string[] {
  const venvs = readdirSync(root)
    .filter((f) => f === '.venv' || f.startsWith('.venv-'))
    .sort();
  const torchDirs = venvs.flatMap((venv) => {
    const lib = join(root, venv, 'lib');
    if (!existsSync(lib)) return [];
    return readdirSync(lib)
      .map((python) => join(lib, python, 'site-packages', 'torch'))
      .filter((d) => existsSync(d));
  });
  return [...torchDirs, '/usr'];
}
