// The package's install script. With a prebuild matching the libtorch found, it only records the
// choice; without one, it builds from source when CMake and a C++ compiler are there; without a
// usable libtorch it succeeds anyway, so that `npm i` of a project does not break: the first
// import then says how to get one.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => console.log(`torchlet: ${line}`);

// A development checkout has no dist/ until `npm run build`, which builds the addon too.
if (!existsSync(join(root, 'dist', 'libtorch.js'))) process.exit(0);
const { assertSupported, describeLibtorch, locateLibtorch, LIBTORCH_FIXES } = await import('../dist/libtorch.js');
const { buildAddon, buildStampPath } = await import('../dist/addon-build.js');
const { findPrebuild } = await import('../dist/prebuild.js');
const { writeFileAtomicSync } = await import('../dist/io/atomic-write.js');

let libtorch;
try {
  libtorch = locateLibtorch();
  assertSupported(libtorch);
} catch (error) {
  const fixes = `Get libtorch in one of three ways:\n${LIBTORCH_FIXES.map((f) => `  - ${f}`).join('\n')}`;
  say(
    libtorch
      ? `${error.message} The install goes on.`
      : `libtorch was not found, so torchlet cannot run yet; the install goes on. ${fixes}`,
  );
  process.exit(0);
}
const prebuild = findPrebuild(root, libtorch);
if (prebuild) {
  mkdirSync(join(root, 'build'), { recursive: true });
  writeFileAtomicSync(buildStampPath(join(root, 'build')), JSON.stringify(libtorch, null, 2) + '\n');
  say(`using the prebuilt addon ${prebuild.slice(root.length + 1)} for ${describeLibtorch(libtorch)}`);
  process.exit(0);
}
const has = (command) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
if (!has('cmake') || !(has('c++') || has('g++') || has('clang++'))) {
  say(
    `no prebuilt addon for ${describeLibtorch(libtorch)} and no CMake or C++ compiler to build one; install cmake and g++, then run \`npm rebuild torchlet\``,
  );
  process.exit(0);
}
say(`no prebuilt addon for ${describeLibtorch(libtorch)}: building from source`);
try {
  buildAddon({ libtorch });
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
