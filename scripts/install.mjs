// The package's install script. With a prebuild matching the libtorch found, it only records the
// choice; without one, it builds from source when CMake and a C++ compiler are there; without
// libtorch it succeeds anyway, so that `npm i` of a project does not break: the first import then
// says how to get libtorch.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => console.log(`torchlet: ${line}`);

// A development checkout has no dist/ until `npm run build`, which builds the addon too.
if (!existsSync(join(root, 'dist', 'libtorch.js'))) process.exit(0);
const { locateLibtorch, LIBTORCH_FIXES } = await import('../dist/libtorch.js');
const { findPrebuild } = await import('../dist/prebuild.js');

let libtorch;
try {
  libtorch = locateLibtorch();
} catch (error) {
  say(`libtorch was not found, so torchlet cannot run yet; the install goes on. Get libtorch in one of three ways:\n${LIBTORCH_FIXES.map((f) => `  - ${f}`).join('\n')}`);
  process.exit(0);
}
const prebuild = findPrebuild(root, libtorch);
if (prebuild) {
  mkdirSync(join(root, 'build'), { recursive: true });
  writeFileSync(join(root, 'build', 'libtorch.json'), JSON.stringify(libtorch, null, 2) + '\n');
  say(`using the prebuilt addon ${prebuild.slice(root.length + 1)} for libtorch ${libtorch.version} (${libtorch.variant}) from ${libtorch.source}`);
  process.exit(0);
}
const has = (command) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
if (!has('cmake') || !(has('c++') || has('g++') || has('clang++'))) {
  say(
    `no prebuilt addon for libtorch ${libtorch.version} (${libtorch.variant}) and no CMake or C++ compiler to build one; ` +
      'install cmake and g++, then run `npm rebuild torchlet`',
  );
  process.exit(0);
}
say(`no prebuilt addon for libtorch ${libtorch.version} (${libtorch.variant}): building from source`);
const result = spawnSync(process.execPath, [join(root, 'scripts', 'build-addon.mjs')], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
