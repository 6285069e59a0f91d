// Builds the native addon with cmake-js against the libtorch that lib/libtorch.ts locates
// (LIBTORCH, then Python PyTorch, then the system), and says which one it used.
// Incremental: after editing one .cc, only that file is recompiled.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { locateLibtorch } = await import('../dist/libtorch.js');

let libtorch;
try {
  libtorch = locateLibtorch();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
console.log(
  `torchlet: building against libtorch ${libtorch.version} (${libtorch.variant}) from ${libtorch.source}: ${libtorch.libDir}`,
);

const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
const args = [
  cmakeJs,
  'build',
  '--directory', root,
  '--parallel', String(availableParallelism()),
  `--CDTorch_DIR=${libtorch.cmakeDir}`,
  `--CDTORCHLET_LIBTORCH_SOURCE=${libtorch.source}`,
  ...process.argv.slice(2),
];
let result = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (result.status !== 0 && libtorch.source !== 'system') {
  // TorchConfig.cmake of some PyTorch wheels fails on machines without every CUDA component it
  // names; configure libtorch by hand instead (the libraries' C++ ABI read from their symbols).
  const abi = /__cxx11/.test(spawnSync('nm', ['-D', '--defined-only', join(libtorch.libDir, 'libc10.so')], { encoding: 'utf8' }).stdout ?? '') ? 1 : 0;
  console.log(`torchlet: TorchConfig.cmake failed; configuring libtorch by hand (C++11 ABI ${abi})`);
  result = spawnSync(process.execPath, [cmakeJs, 'rebuild', ...args.slice(2), `--CDTORCHLET_TORCH_ROOT=${libtorch.root}`, `--CDTORCHLET_CXX11_ABI=${abi}`], { stdio: 'inherit' });
}
process.exit(result.status ?? 1);
