// Finds the libtorch that torchlet builds against and loads: LIBTORCH, then a Python PyTorch
// install (the active or project virtual environment first), then the system's (Debian and
// Ubuntu libtorch-dev). Used by the build and install scripts, the loader's error messages and
// `torchlet doctor`, so that all of them look in the same places in the same order.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where a libtorch was found. */
export type LibtorchSource = 'LIBTORCH' | 'python' | 'system';

/** A located libtorch. */
export interface Libtorch {
  source: LibtorchSource;
  /** The folder that holds include/ and lib/ (for the system: /usr). */
  root: string;
  /** The folder that holds libtorch.so. */
  libDir: string;
  /** The folder that holds torch/csrc/api/include and ATen/. */
  includeDir: string;
  /** The folder that holds TorchConfig.cmake. */
  cmakeDir: string;
  /** libtorch's version, e.g. '1.13.0' or '2.13.0'; 'unknown' when its headers do not say. */
  version: string;
  /** 'cpu', or 'cuXYZ' for a CUDA build (e.g. 'cu130'; 'cuda' when the CUDA version is unknown). */
  variant: string;
  /** Whether libtorch was built with the C++11 std::string ABI (_GLIBCXX_USE_CXX11_ABI=1). */
  cxx11Abi: boolean;
  /** For source 'python': the Python whose torch this is. */
  python?: string;
}

/** The oldest libtorch release line torchlet supports. */
export const MIN_LIBTORCH = { major: 1, minor: 13 } as const;

/** The three ways to give torchlet a libtorch, quoted by every "not found" error. */
export const LIBTORCH_FIXES = [
  "set LIBTORCH=/path/to/libtorch (an unpacked libtorch from pytorch.org, or a PyTorch install's torch/ folder)",
  'pip install torch, in a virtual environment of the project (.venv) or for python3 (torchlet uses the libtorch inside it)',
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

/** Thrown for a libtorch torchlet cannot use: older than {@link MIN_LIBTORCH}, or of unknown version. */
export class LibtorchUnsupportedError extends Error {
  constructor(readonly libtorch: Libtorch) {
    super(
      `torchlet supports libtorch ${MIN_LIBTORCH.major}.${MIN_LIBTORCH.minor} and later; found ${describeLibtorch(libtorch)}. ` +
        `Install a newer one (pip install torch) or point LIBTORCH at one.`,
    );
    this.name = 'LibtorchUnsupportedError';
  }
}

/** "libtorch 2.13.0 (cpu, C++11 ABI) at DIR (from python)", for messages. */
export function describeLibtorch(libtorch: Libtorch): string {
  const abi = libtorch.cxx11Abi ? 'C++11 ABI' : 'pre-C++11 ABI';
  return `libtorch ${libtorch.version} (${libtorch.variant}, ${abi}) at ${libtorch.libDir} (from ${libtorch.source})`;
}

/** Throws {@link LibtorchUnsupportedError} unless torchlet supports `libtorch`'s version. */
export function assertSupported(libtorch: Libtorch): void {
  const [major, minor] = libtorch.version.split('.').map(Number);
  const supported = major > MIN_LIBTORCH.major || (major === MIN_LIBTORCH.major && minor >= MIN_LIBTORCH.minor);
  if (!supported) throw new LibtorchUnsupportedError(libtorch);
}

// Where libraries live under a prefix: lib/ (libtorch zips, pip), then Debian's multiarch folder.
const LIB_SUBDIRS = ['lib', `lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, 'lib64'];
const SYSTEM_ROOTS = ['/usr', '/usr/local'];

/** Options of {@link locateLibtorch}. */
export interface LocateOptions {
  /** The environment (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The Pythons to ask, in order (default: $TORCHLET_PYTHON alone, else {@link pythonCandidates}). */
  pythons?: string[];
  /** The folder whose .venv counts as the project's (default: the working directory). */
  cwd?: string;
}

/** The folder of this package (where a development checkout keeps its .venv). */
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The Pythons asked for a PyTorch, in order: $VIRTUAL_ENV's, the project's .venv (in the working
 * directory, then in torchlet's own folder, for a development checkout), then python3 on PATH.
 */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  const venvs = [env.VIRTUAL_ENV, join(cwd, '.venv'), join(packageRoot, '.venv')].filter((v): v is string => Boolean(v));
  const pythons = venvs.map((v) => join(v, 'bin', 'python')).filter((p) => existsSync(p));
  return [...new Set([...pythons, 'python3'])];
}

/** Finds libtorch in the documented order, or throws {@link LibtorchNotFoundError}. */
export function locateLibtorch(options: LocateOptions = {}): Libtorch {
  const env = options.env ?? process.env;
  const searched: string[] = [];
  if (env.LIBTORCH) {
    // Absolute, since the path ends up in the addon's rpath and in records read from elsewhere.
    const found = fromPrefix('LIBTORCH', resolve(env.LIBTORCH));
    if (found) return found;
    searched.push(`LIBTORCH=${env.LIBTORCH}: no libtorch.so with TorchConfig.cmake there`);
  } else {
    searched.push('LIBTORCH: not set');
  }

  const pythons = options.pythons ?? (env.TORCHLET_PYTHON ? [env.TORCHLET_PYTHON] : pythonCandidates(env, options.cwd));
  for (const python of pythons) {
    const torchDir = pythonTorchDir(python, env);
    if (!torchDir) {
      searched.push(`${python}: no torch installed`);
      continue;
    }
    const found = fromPrefix('python', torchDir);
    if (found) return { ...found, python };
    searched.push(`${python}: torch at ${torchDir} has no C++ distribution (lib/libtorch.so, share/cmake/Torch)`);
  }

  // TORCHLET_SYSTEM_LIB_DIRS (colon-separated) replaces the system folders searched.
  const override = env.TORCHLET_SYSTEM_LIB_DIRS;
  const libDirs =
    override !== undefined
      ? override
          .split(':')
          .filter(Boolean)
          .map((d) => resolve(d))
      : SYSTEM_ROOTS.flatMap((r) => LIB_SUBDIRS.map((s) => join(r, s)));
  for (const libDir of libDirs) {
    const found = fromLibDir('system', prefixOf(libDir), libDir);
    if (found) return found;
  }
  searched.push(`system: no libtorch.so with cmake/Torch in ${libDirs.join(', ') || '(no folders: TORCHLET_SYSTEM_LIB_DIRS is empty)'}`);
  throw new LibtorchNotFoundError(searched);
}

// /usr/lib/x86_64-linux-gnu → /usr
function prefixOf(libDir: string): string {
  return libDir.replace(/\/lib(64)?(\/[^/]+-linux-gnu)?\/?$/, '') || '/';
}

// A libtorch under `root`: a libtorch zip or a pip torch/ folder (lib/, share/cmake/Torch), or a
// system prefix such as /usr (lib/x86_64-linux-gnu/, lib/x86_64-linux-gnu/cmake/Torch).
function fromPrefix(source: LibtorchSource, root: string): Libtorch | null {
  for (const sub of LIB_SUBDIRS) {
    const found = fromLibDir(source, root, join(root, sub));
    if (found) return found;
  }
  return null;
}

function fromLibDir(source: LibtorchSource, root: string, libDir: string): Libtorch | null {
  if (!existsSync(join(libDir, 'libtorch.so'))) return null;
  const cmakeDir = [join(root, 'share/cmake/Torch'), join(libDir, 'cmake/Torch')].find((d) => existsSync(join(d, 'TorchConfig.cmake')));
  if (!cmakeDir) return null;
  const includeDir = join(root, 'include');
  return {
    source,
    root,
    libDir,
    includeDir,
    cmakeDir,
    version: readVersion(includeDir),
    variant: existsSync(join(libDir, 'libtorch_cuda.so')) ? (readCudaTag(root) ?? 'cuda') : 'cpu',
    cxx11Abi: usesCxx11Abi(libDir),
  };
}

// Asks `python` where torch is without importing it (an import takes seconds).
function pythonTorchDir(python: string, env: NodeJS.ProcessEnv): string | null {
  try {
    const out = execFileSync(
      python,
      ['-c', "import importlib.util as u; s = u.find_spec('torch'); print(s.submodule_search_locations[0] if s else '')"],
      { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 },
    );
    return out.trim() || null;
  } catch {
    return null;
  }
}

/**
 * libtorch's version from its headers: torch/version.h defines it in 1.x; in 2.x that file
 * includes torch/headeronly/version.h, which does.
 */
export function readVersion(includeDir: string): string {
  const api = join(includeDir, 'torch/csrc/api/include/torch/version.h');
  for (const header of [api, join(includeDir, 'torch/headeronly/version.h')]) {
    if (!existsSync(header)) continue;
    const text = readFileSync(header, 'utf8');
    const part = (name: string) => new RegExp(`#define\\s+TORCH_VERSION_${name}\\s+(\\d+)`).exec(text)?.[1];
    const [major, minor, patch] = [part('MAJOR'), part('MINOR'), part('PATCH')];
    if (major !== undefined && minor !== undefined && patch !== undefined) return `${major}.${minor}.${patch}`;
  }
  return 'unknown';
}

// std::string's C++11 ABI puts std::__cxx11 into c10's exported names; the old ABI never does.
function usesCxx11Abi(libDir: string): boolean {
  try {
    return readFileSync(realpathSync(join(libDir, 'libc10.so'))).includes('__cxx11');
  } catch {
    return true; // every libtorch since 2.7 and every Debian one uses it
  }
}

// 'cu130' from pip's version.py (cuda = '13.0') or a libtorch zip's build-version (2.5.1+cu124).
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

/**
 * A Python whose PyTorch has `libtorch`'s version (major.minor.patch), to compare against: the
 * one it came from (or the virtual environment that holds it), else the first of the candidates
 * and Debian's /usr/bin/python3 that has it. Null when none does.
 */
export function matchingPython(libtorch: Libtorch, env: NodeJS.ProcessEnv = process.env): string | null {
  if (libtorch.python) return libtorch.python;
  // LIBTORCH may name a virtual environment's torch folder: <venv>/lib/pythonX.Y/site-packages/torch.
  const venv = /^(.*)\/lib\/python[\d.]+\/site-packages\/torch\/?$/.exec(libtorch.root)?.[1];
  const own = venv ? [join(venv, 'bin', 'python')].filter((p) => existsSync(p)) : [];
  const candidates = [...new Set([...own, ...pythonCandidates(env), '/usr/bin/python3'])];
  for (const python of candidates) {
    const torchDir = pythonTorchDir(python, env);
    const versionPy = torchDir && join(torchDir, 'version.py');
    if (!versionPy || !existsSync(versionPy)) continue;
    const version = /__version__\s*=\s*['"](\d+\.\d+\.\d+)/.exec(readFileSync(versionPy, 'utf8'))?.[1];
    if (version === libtorch.version) return python;
  }
  return null;
}
