// Builds the native addon from source with cmake-js against a located libtorch. Shared by
// `npm run build`, the install script (when no prebuild matches) and `npm run prebuild`.
// Incremental: after editing one .cc only that file is recompiled; a build folder configured for
// another libtorch is configured again from scratch.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomicSync } from './io/atomic-write.js';
import { assertSupported, describeLibtorch, type Libtorch } from './libtorch.js';

/** Options of {@link buildAddon}. */
export interface BuildOptions {
  libtorch: Libtorch;
  /** The build folder; the addon lands in its Release/ (default: the package's build/). */
  outDir?: string;
  /** A prebuild carries no rpath: lib/native.ts loads libtorch by absolute path first (default false). */
  prebuild?: boolean;
  /** Extra CMake definitions, as NAME=VALUE (default none). */
  defines?: string[];
  /** Only configure (for tools that read compile_commands.json); default false. */
  configureOnly?: boolean;
  /** Where progress lines go (default console.log). */
  log?: (line: string) => void;
  /** The environment (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Thrown when configuring or compiling fails; CMake's and the compiler's own messages precede it. */
export class AddonBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddonBuildError';
  }
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The file that records which libtorch a build folder is configured for. */
export function buildStampPath(outDir: string): string {
  return join(outDir, 'libtorch.json');
}

/** The libtorch a build folder was configured for (its stamp), or null when it has none. */
export function readBuildStamp(outDir: string): Libtorch | null {
  const path = buildStampPath(outDir);
  if (!existsSync(path)) return null;
  const { definitions: _definitions, ...libtorch } = JSON.parse(readFileSync(path, 'utf8')) as Libtorch & { definitions?: string[] };
  return libtorch;
}

/** Configures (when needed) and compiles the addon; returns the path of torchlet.node (or of the build folder, with configureOnly). */
export function buildAddon(options: BuildOptions): string {
  const { libtorch, prebuild = false, defines = [], env = process.env } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const outDir = options.outDir ?? join(packageRoot, 'build');
  assertSupported(libtorch);
  log(`torchlet: building against ${describeLibtorch(libtorch)}`);

  const definitions = [...cmakeDefinitions(libtorch, env), `TORCHLET_PREBUILD=${prebuild ? 'ON' : 'OFF'}`, ...defines];
  const stamp = JSON.stringify({ ...libtorch, definitions }, null, 2) + '\n';
  const stampPath = buildStampPath(outDir);
  const configured = existsSync(join(outDir, 'CMakeCache.txt')) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp;
  if (!configured) {
    if (existsSync(outDir)) log(`torchlet: ${outDir} was configured for another libtorch or other options: configuring it from scratch`);
    rmSync(outDir, { recursive: true, force: true });
    if (!cmakeJs('configure', outDir, definitions, env)) {
      log(
        `torchlet: CMake's configure step failed with ${join(libtorch.cmakeDir, 'TorchConfig.cmake')} (its messages are above); ` +
          `configuring libtorch by hand from ${libtorch.libDir} instead`,
      );
      rmSync(outDir, { recursive: true, force: true });
      if (!cmakeJs('configure', outDir, [...definitions, 'TORCHLET_BY_HAND=ON'], env)) {
        throw new AddonBuildError(
          `torchlet: configuring the build failed, with TorchConfig.cmake and by hand (CMake's messages are above)`,
        );
      }
    }
    mkdirSync(outDir, { recursive: true });
    writeFileAtomicSync(stampPath, stamp);
  }
  if (options.configureOnly) return outDir;
  if (!cmakeJs('build', outDir, [], env)) {
    throw new AddonBuildError(
      `torchlet: compiling the addon against ${describeLibtorch(libtorch)} failed (the compiler's messages are above)`,
    );
  }
  return join(outDir, 'Release', 'torchlet.node');
}

function cmakeDefinitions(libtorch: Libtorch, env: NodeJS.ProcessEnv): string[] {
  const definitions = [
    `Torch_DIR=${libtorch.cmakeDir}`,
    `CMAKE_PREFIX_PATH=${libtorch.root}`,
    `TORCHLET_LIB_DIR=${libtorch.libDir}`,
    `TORCHLET_INCLUDE_DIR=${libtorch.includeDir}`,
    `TORCHLET_CXX11_ABI=${libtorch.cxx11Abi ? 1 : 0}`,
    `TORCHLET_LIBTORCH_SOURCE=${libtorch.source}`,
    `TORCHLET_TORCH_VERSION=${libtorch.version}`,
  ];
  const cuda = libtorch.variant === 'cpu' ? null : cudaToolkit(env);
  // Both names: PyTorch's cuda.cmake uses FindCUDA's, torchlet's CMakeLists FindCUDAToolkit's.
  if (cuda) definitions.push(`CUDA_TOOLKIT_ROOT_DIR=${cuda}`, `CUDAToolkit_ROOT=${cuda}`);
  return definitions;
}

/**
 * The CUDA toolkit whose headers a CUDA build compiles against: $CUDA_HOME, $CUDA_PATH,
 * /usr/local/cuda, or the folder above the nvcc on PATH.
 */
export function cudaToolkit(env: NodeJS.ProcessEnv = process.env): string | null {
  const nvcc = (env.PATH ?? '')
    .split(':')
    .map((dir) => join(dir, 'nvcc'))
    .find((p) => existsSync(p));
  const candidates = [env.CUDA_HOME, env.CUDA_PATH, '/usr/local/cuda', nvcc && dirname(dirname(realpathSync(nvcc)))];
  return candidates.filter((c): c is string => Boolean(c)).find((c) => existsSync(join(c, 'include', 'cuda_runtime_api.h'))) ?? null;
}

// Runs one cmake-js command, its output going straight to ours; true when it succeeded.
function cmakeJs(command: 'configure' | 'build', outDir: string, definitions: string[], env: NodeJS.ProcessEnv): boolean {
  const cli = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
  const args = [cli, command, '--directory', packageRoot, '--out', outDir, '--parallel', String(availableParallelism())];
  const result = spawnSync(process.execPath, [...args, ...definitions.map((d) => `--CD${d}`)], { stdio: 'inherit', env });
  return result.status === 0;
}
