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
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
