// npm run prebuild [-- [--all] [FOLDER ...]]: builds prebuilt addons (without an rpath) and stores
// them as prebuilds/<platform>-<arch>/torchlet.libtorch-<version>.<variant>.<abi>.node, which the
// loader picks for a matching libtorch. Each FOLDER is a libtorch as LIBTORCH takes it (an unpacked
// libtorch, a PyTorch install's torch/ folder, or /usr for Debian's); --all takes the PyTorch of
// every virtual environment in the project (.venv, .venv-*) and the system's libtorch; with
// neither, the libtorch found as usual. Run after `tsc` (npm run build does both).
import { copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { locateLibtorch } = await import('../dist/libtorch.js');
const { buildAddon } = await import('../dist/addon-build.js');
const { prebuildDir, prebuildName, projectLibtorchFolders } = await import('../dist/prebuild.js');

const args = process.argv.slice(2);
const folders = args.includes('--all') ? projectLibtorchFolders(root) : args;
const libtorches =
  folders.length === 0
    ? [locateLibtorch()]
    : folders.flatMap((folder) => {
        try {
          return [locateLibtorch({ env: { ...process.env, LIBTORCH: folder } })];
        } catch (error) {
          if (args.includes('--all')) return []; // --all takes what this machine has
          throw error;
        }
      });
try {
  mkdirSync(prebuildDir(root), { recursive: true });
  for (const libtorch of libtorches) {
    const name = prebuildName(libtorch);
    const built = buildAddon({ libtorch, outDir: join(root, 'build-prebuild', name.replace(/\.node$/, '')), prebuild: true });
    const target = join(prebuildDir(root), name);
    copyFileSync(built, `${target}.tmp`);
    renameSync(`${target}.tmp`, target);
    console.log(`torchlet: wrote ${target}`);
  }
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
