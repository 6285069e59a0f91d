// Loads the native addon: a build from source (build/Release, found by node-gyp-build; it has an
// rpath to its libtorch), else the prebuild matching the libtorch found (lib/prebuild.ts), after
// libtorch itself is loaded by absolute path. A failure is never a bare dlopen message: it says
// what is missing, where libtorch is, and how to fix it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBuildStamp } from './addon-build.js';
import {
  assertSupported,
  describeLibtorch,
  LIBTORCH_FIXES,
  LibtorchNotFoundError,
  LibtorchUnsupportedError,
  locateLibtorch,
  MIN_LIBTORCH,
  type Libtorch,
} from './libtorch.js';
import { availablePrebuilds, findPrebuild, libtorchLibraries } from './prebuild.js';

/** Thrown when the native addon cannot be loaded; the message says why and how to fix it. */
export class NativeLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NativeLoadError';
  }
}

/** Which addon file was loaded, and for which libtorch (for `torchlet doctor`). */
export interface LoadedAddon {
  kind: 'source build' | 'prebuild';
  path: string;
  /** The libtorch it was built or chosen for; null for a source build without a build stamp. */
  libtorch: Libtorch | null;
}

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const requireHere = createRequire(import.meta.url);
const fixes = LIBTORCH_FIXES.map((f) => `  - ${f}`).join('\n');

// dlopen flags: the libraries must stay loaded (RTLD_NODELETE, glibc's 0x1000) after Node
// rejects them as addons, so that the prebuild's dependencies resolve to them by soname.
const PRELOAD_FLAGS = osConstants.dlopen.RTLD_NOW | osConstants.dlopen.RTLD_GLOBAL | 0x1000;

function sourceBuild(): string | null {
  return ['build/Release', 'build/Debug'].map((dir) => join(packageRoot, dir, 'torchlet.node')).find((p) => existsSync(p)) ?? null;
}

// The libtorch a prebuild is for: the one the install script chose (recorded in build/), unless
// LIBTORCH now says otherwise or it is gone, else the usual search.
function libtorchForPrebuild(): Libtorch {
  const recorded = process.env.LIBTORCH ? null : readBuildStamp(join(packageRoot, 'build'));
  return recorded && existsSync(join(recorded.libDir, 'libtorch.so')) ? recorded : locateLibtorch();
}

function loadPrebuild(): { addon: unknown; loaded: LoadedAddon } {
  const libtorch = libtorchForPrebuild();
  assertSupported(libtorch);
  const prebuild = findPrebuild(packageRoot, libtorch);
  if (!prebuild) {
    const available = availablePrebuilds(packageRoot);
    throw new NativeLoadError(
      `torchlet: no prebuilt addon matches ${describeLibtorch(libtorch)}. ` +
        `Prebuilt: ${available.length > 0 ? available.join(', ') : 'none for this platform'}. ` +
        `Build it from source with \`npm rebuild torchlet\` (or \`npm run build\` in ${packageRoot}); it needs CMake and a C++ compiler. ` +
        `torchlet supports libtorch ${MIN_LIBTORCH.major}.${MIN_LIBTORCH.minor} and later.`,
    );
  }
  // Prebuilds carry no rpath: load libtorch by absolute path first, wherever it is installed.
  for (const library of libtorchLibraries(libtorch.libDir)) {
    try {
      process.dlopen({ exports: {} }, library, PRELOAD_FLAGS);
    } catch (error) {
      if (!/did not self-register/.test((error as Error).message)) throw error;
    }
  }
  return { addon: requireHere(prebuild), loaded: { kind: 'prebuild', path: prebuild, libtorch } };
}

/**
 * Loads the addon, or throws a {@link NativeLoadError} that says how to fix what failed.
 * $TORCHLET_ADDON names another build of it to load instead (the sanitizer build, say).
 */
export function loadAddon(): { addon: unknown; loaded: LoadedAddon } {
  const chosen = process.env.TORCHLET_ADDON;
  if (chosen) {
    const path = resolve(chosen);
    try {
      return { addon: requireHere(path), loaded: { kind: 'source build', path, libtorch: readBuildStamp(dirname(dirname(path))) } };
    } catch (cause) {
      throw new NativeLoadError(
        `torchlet: TORCHLET_ADDON=${chosen} could not be loaded: ${String((cause as Error | undefined)?.message ?? cause)}`,
        { cause },
      );
    }
  }
  const source = sourceBuild();
  if (!source && availablePrebuilds(packageRoot).length === 0) {
    throw new NativeLoadError(
      `torchlet: no build of the native addon exists for this platform. Build it with \`npm run build\` in ${packageRoot} ` +
        `(it needs CMake, a C++ compiler and libtorch; to get libtorch:\n${fixes})`,
    );
  }
  try {
    if (!source) return loadPrebuild();
    const path = (requireHere('node-gyp-build') as { path(dir: string): string }).path(packageRoot);
    return { addon: requireHere(path), loaded: { kind: 'source build', path, libtorch: readBuildStamp(join(packageRoot, 'build')) } };
  } catch (cause) {
    if (cause instanceof NativeLoadError) throw cause;
    if (cause instanceof LibtorchNotFoundError || cause instanceof LibtorchUnsupportedError) {
      throw new NativeLoadError(`torchlet: the native addon could not be loaded.\n${cause.message}`, { cause });
    }
    throw new NativeLoadError(explainLoadFailure(String((cause as Error | undefined)?.message ?? cause)), { cause });
  }
}

// The soname the system loader could not find, from its message.
const MISSING_LIBRARY = /([\w.+-]+\.so[\w.]*): cannot open shared object file/;
const CUDA_LIBRARY = /^lib(cu|nv|nccl)/;

function explainLoadFailure(reason: string): string {
  const builtFor = readBuildStamp(join(packageRoot, 'build'));
  let found: Libtorch | null = null;
  let where: string;
  try {
    found = locateLibtorch();
    where =
      `${describeLibtorch(found)} was found, but the addon ${builtFor ? `(built for ${describeLibtorch(builtFor)}) ` : ''}does not load with it. ` +
      `If libtorch changed since the build, rebuild: \`npm run build\` in ${packageRoot}. Or point torchlet at another libtorch:\n${fixes}`;
  } catch (error) {
    where = error instanceof LibtorchNotFoundError ? error.message : `libtorch was not found. Fix it in one of three ways:\n${fixes}`;
  }
  const missing = MISSING_LIBRARY.exec(reason)?.[1];
  if (missing && CUDA_LIBRARY.test(missing)) where = `${missingCudaLibrary(missing, builtFor ?? found)}\n${where}`;
  return `torchlet: the native addon could not be loaded.\n${where}\nThe system loader said: ${reason}`;
}

// A CUDA libtorch needs the CUDA runtime libraries of its CUDA version; pip's torch normally
// brings them as nvidia-* wheels, or the CUDA toolkit provides them.
function missingCudaLibrary(library: string, libtorch: Libtorch | null): string {
  const major = /^cu(\d+)\d$/.exec(libtorch?.variant ?? '')?.[1];
  const cuda = major ? `CUDA ${major}` : 'CUDA';
  const wheel = major && Number(major) < 13 ? `nvidia-cuda-runtime-cu${major}` : 'nvidia-cuda-runtime';
  const toolkitDirs = [process.env.CUDA_HOME, process.env.CUDA_PATH, '/usr/local/cuda']
    .filter(Boolean)
    .flatMap((d) => [join(d!, 'lib64'), join(d!, 'lib')]);
  const copy = toolkitDirs.find((dir) => existsSync(join(dir, library)));
  return (
    `The ${cuda} library ${library}, which this CUDA build of libtorch needs, is missing. Fix it in one of these ways:\n` +
    `  - install the ${cuda} runtime libraries into torch's Python environment (pip install ${wheel}, and the other nvidia-* wheels torch lists), ` +
    `or the ${cuda} toolkit\n` +
    (copy
      ? `  - one is at ${join(copy, library)}: put its folder on the loader's path (export LD_LIBRARY_PATH=${copy})\n`
      : `  - if the ${cuda} toolkit is installed, put its lib64 folder on the loader's path (LD_LIBRARY_PATH or /etc/ld.so.conf.d)\n`) +
    `  - or use a CPU libtorch (pip install torch --index-url https://download.pytorch.org/whl/cpu)`
  );
}
