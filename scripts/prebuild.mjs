// npm run prebuild: builds the addon for this platform and the libtorch found here (without an
// rpath) and stores it as prebuilds/<platform>-<arch>/torchlet.libtorch-<version>.<variant>.node,
// which the loader picks for a matching libtorch. Run after `npm run build:ts`.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { locateLibtorch } = await import('../dist/libtorch.js');
const { prebuildDir, prebuildName } = await import('../dist/prebuild.js');

const libtorch = locateLibtorch();
const out = join(root, 'build-prebuild');
const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
console.log(`torchlet: prebuilding against libtorch ${libtorch.version} (${libtorch.variant}) from ${libtorch.source}: ${libtorch.libDir}`);
const result = spawnSync(
  process.execPath,
  [cmakeJs, 'build', '--directory', root, '--out', out, '--parallel', String(availableParallelism()), `--CDTorch_DIR=${libtorch.cmakeDir}`, `--CDTORCHLET_LIBTORCH_SOURCE=${libtorch.source}`, '--CDTORCHLET_PREBUILD=ON'],
  { stdio: 'inherit' },
);
if (result.status !== 0) process.exit(result.status ?? 1);
const target = join(prebuildDir(root), prebuildName(libtorch));
mkdirSync(prebuildDir(root), { recursive: true });
copyFileSync(join(out, 'Release', 'torchlet.node'), target);
console.log(`torchlet: wrote ${target}`);
