// Finds the libtorch that torchlet builds against and loads: LIBTORCH, then a Python PyTorch
// install, then the system's (Debian and Ubuntu libtorch-dev). Used by the build script and by
// the loader's error messages, so both look in the same places in the same order.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a libtorch was found. */
export type LibtorchSource = 'LIBTORCH' | 'python' | 'system';

/** A located libtorch. */
export interface Libtorch {
  source: LibtorchSource;
  /** The folder that holds lib/ and include/ (for the system: /usr). */
  root: string;
  /** The folder that holds libtorch.so. */
  libDir: string;
  /** The folder that holds TorchConfig.cmake. */
  cmakeDir: string;
  /** libtorch's version, e.g. '1.13.0' or '2.5.1'. */
  version: string;
  /** 'cpu', or 'cuXYZ' for a CUDA build (e.g. 'cu124'; 'cuda' when the CUDA version is unknown). */
  variant: string;
}

/** The three ways to give torchlet a libtorch, quoted by every "not found" error. */
export const LIBTORCH_FIXES = [
  'set LIBTORCH=/path/to/libtorch (an unpacked libtorch from pytorch.org)',
  'pip install torch (torchlet uses the libtorch inside it; python3 must be on PATH)',
  'apt-get install libtorch-dev (Debian and Ubuntu)',
];

/** Thrown when no libtorch can be found; its message names every place searched and the three fixes. */
export class LibtorchNotFoundError extends Error {
  constructor(readonly searched: string[]) {
    super(
      `torchlet could not find libtorch. Searched:\n${searched.map((s) => `  - ${s}`).join('\n')}\n` +
        `Fix it in one of three ways:\n${LIBTORCH_FIXES.map((f) => `  - ${f}`).join('\n')}`,
    );
    this.name = 'LibtorchNotFoundError';
  }
}

const SYSTEM_LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/usr/local/lib',
];

/** Options of {@link locateLibtorch}: the environment (default process.env) and the python to ask (default $TORCHLET_PYTHON or python3). */
export interface LocateOptions {
  env?: NodeJS.ProcessEnv;
  python?: string;
}

/** Finds libtorch in the documented order, or throws {@link LibtorchNotFoundError}. */
export function locateLibtorch(options: LocateOptions = {}): Libtorch {
  const env = options.env ?? process.env;
  const searched: string[] = [];
  const fromEnv = env.LIBTORCH;
  if (fromEnv) {
    const found = fromRoot('LIBTORCH', fromEnv, join(fromEnv, 'share/cmake/Torch'));
    if (found) return found;
    searched.push(`LIBTORCH=${fromEnv}: no lib/libtorch.so and share/cmake/Torch there`);
  } else {
    searched.push('LIBTORCH: not set');
  }

  const python = options.python ?? env.TORCHLET_PYTHON ?? 'python3';
  const torchDir = pythonTorchDir(python, env);
  if (torchDir) {
    const found = fromRoot('python', torchDir, join(torchDir, 'share/cmake/Torch'));
    if (found) return found;
    searched.push(`${python}: torch at ${torchDir} has no C++ distribution (lib/libtorch.so, share/cmake/Torch)`);
  } else {
    searched.push(`${python}: no importable torch`);
  }

  // TORCHLET_SYSTEM_LIB_DIRS (colon-separated) replaces the system folders searched.
  const systemDirs = env.TORCHLET_SYSTEM_LIB_DIRS !== undefined ? env.TORCHLET_SYSTEM_LIB_DIRS.split(':').filter(Boolean) : SYSTEM_LIB_DIRS;
  for (const libDir of systemDirs) {
    const cmakeDir = join(libDir, 'cmake/Torch');
    if (existsSync(join(libDir, 'libtorch.so')) && existsSync(join(cmakeDir, 'TorchConfig.cmake'))) {
      return { source: 'system', root: '/usr', libDir, cmakeDir, ...describe(libDir, ['/usr/include']) };
    }
  }
  searched.push(`system: no libtorch.so with cmake/Torch in ${systemDirs.join(', ') || '(no folders: TORCHLET_SYSTEM_LIB_DIRS is empty)'}`);
  throw new LibtorchNotFoundError(searched);
}

function fromRoot(source: LibtorchSource, root: string, cmakeDir: string): Libtorch | null {
  const libDir = join(root, 'lib');
  if (!existsSync(join(libDir, 'libtorch.so')) || !existsSync(join(cmakeDir, 'TorchConfig.cmake'))) return null;
  return { source, root, libDir, cmakeDir, ...describe(libDir, [join(root, 'include')], root) };
}

function pythonTorchDir(python: string, env: NodeJS.ProcessEnv): string | null {
  try {
    const out = execFileSync(python, ['-c', 'import os, torch; print(os.path.dirname(torch.__file__))'], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 60_000,
    });
    return out.trim() || null;
  } catch {
    return null;
  }
}

// Reads the version from the C++ headers, and the CUDA variant from the libraries and, where the
// distribution records it, the CUDA version (pip: torch/version.py; libtorch zips: build-version).
function describe(libDir: string, includeDirs: string[], root?: string): { version: string; variant: string } {
  let version = 'unknown';
  for (const dir of includeDirs) {
    const header = join(dir, 'torch/csrc/api/include/torch/version.h');
    if (!existsSync(header)) continue;
    const text = readFileSync(header, 'utf8');
    const part = (name: string) => /(\d+)/.exec(text.split(`TORCH_VERSION_${name}`)[1] ?? '')?.[1] ?? '?';
    version = `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
    break;
  }
  if (!existsSync(join(libDir, 'libtorch_cuda.so'))) return { version, variant: 'cpu' };
  return { version, variant: (root && readCudaTag(root)) ?? 'cuda' };
}

// 'cu124' from pip's version.py (cuda = '12.4') or a libtorch zip's build-version (2.5.1+cu124).
function readCudaTag(root: string): string | null {
  const versionPy = join(root, 'version.py');
  if (existsSync(versionPy)) {
    const m = /^cuda[^=]*=\s*['"](\d+)\.(\d+)/m.exec(readFileSync(versionPy, 'utf8'));
    if (m) return `cu${m[1]}${m[2]}`;
  }
  const buildVersion = join(root, 'build-version');
  if (existsSync(buildVersion)) return /\+(cu\d+)/.exec(readFileSync(buildVersion, 'utf8'))?.[1] ?? null;
  return null;
}
