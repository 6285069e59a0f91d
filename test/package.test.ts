// `npm i torchlet` as a user gets it: pack the package with a prebuild for every libtorch flavour
// this machine has (PyTorch 2.13 CPU in .venv, 2.14.1 with CUDA 13 in .venv-cu130, Debian's 1.13
// under /usr), then install the tarball into empty projects, with the registry unreachable and,
// where it matters, no compiler on PATH: once per flavour, and from source, and without libtorch.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeLibtorch, locateLibtorch, type Libtorch } from '../lib/libtorch.js';
import { prebuildName, projectLibtorchFolders } from '../lib/prebuild.js';

const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'torchlet-package-'));
let tarball = '';

// The flavours this machine has, each as LIBTORCH names it.
const flavours: { folder: string; libtorch: Libtorch }[] = projectLibtorchFolders(root).flatMap((folder) => {
  try {
    return [{ folder, libtorch: locateLibtorch({ env: { LIBTORCH: folder } }) }];
  } catch {
    return [];
  }
});

// A PATH with node, npm and sh only: any attempt to compile fails loudly.
const noCompiler = join(work, 'bin');
function makeBareBin(): void {
  mkdirSync(noCompiler);
  symlinkSync(process.execPath, join(noCompiler, 'node'));
  symlinkSync('/bin/sh', join(noCompiler, 'sh'));
  const npmCli = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
  writeFileSync(join(noCompiler, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}" "$@"\n`);
  chmodSync(join(noCompiler, 'npm'), 0o755);
}

// Children get a scrubbed environment: no npm_config_* inherited from the test runner.
function run(cwd: string, command: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { HOME: process.env.HOME!, PATH: process.env.PATH!, ...env },
    timeout: 600_000,
  });
}

// What a failed child printed: its stderr, and the end of its stdout (where npm's
// --foreground-scripts put the compiler's messages).
function failure(result: ReturnType<typeof run>): string {
  return `${result.stderr}\n--- stdout (end) ---\n${result.stdout.slice(-6000)}`;
}

// A project with torchlet's lockfile resolved while the registry is reachable (this fills npm's
// cache); the install itself then runs offline, through a dead proxy.
function project(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module' }));
  const lock = run(dir, 'npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', tarball]);
  expect(lock.status, failure(lock)).toBe(0);
  writeFileSync(
    join(dir, 'train.mjs'),
    `import * as tl from 'torchlet';
const dir = await tl.datasets.cifar10.synthetic({ train: 100, test: 20, dir: ${JSON.stringify(join(work, `synthetic-${name}`))} });
const { train, test } = await tl.datasets.cifar10.load({ dir });
const model = tl.referenceCnn();
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
const history = await model.fit(train, { epochs: 1, batchSize: 25, verbose: 0, validationData: test });
console.log(JSON.stringify({ loss: history.history.loss[0], valLoss: history.history.val_loss[0], backend: tl.backendInfo() }));
`,
  );
  return dir;
}

const offline = [
  'install',
  '--offline',
  '--no-audit',
  '--no-fund',
  '--foreground-scripts',
  '--proxy',
  'http://127.0.0.1:9',
  '--https-proxy',
  'http://127.0.0.1:9',
];

describe('npm i torchlet', () => {
  let packed: { size: number; unpackedSize: number; files: string[] };

  beforeAll(() => {
    makeBareBin();
    const prebuild = run(root, process.execPath, ['scripts/prebuild.mjs', '--all']);
    expect(prebuild.status, failure(prebuild)).toBe(0);
    const pack = run(root, 'npm', ['pack', '--json', '--pack-destination', work]);
    expect(pack.status, failure(pack)).toBe(0);
    const [report] = JSON.parse(pack.stdout);
    tarball = join(work, report.filename);
    packed = { size: report.size, unpackedSize: report.unpackedSize, files: report.files.map((f: { path: string }) => f.path) };
  }, 900_000);

  it('packs a prebuild for every flavour here, and only what users need', () => {
    expect(flavours.length).toBeGreaterThan(0);
    for (const { libtorch } of flavours) expect(packed.files).toContain(`prebuilds/linux-x64/${prebuildName(libtorch)}`);
    // No tests, build folders, sources of the TypeScript or dev configs.
    expect(
      packed.files.filter(
        (f) => /^(test|lib|build|build-prebuild|scripts\/(reference|bench))\//.test(f) || /tsconfig|vitest|\.ci|\.venv|\.map$/.test(f),
      ),
    ).toEqual([]);
    expect(packed.files).toEqual(
      expect.arrayContaining([
        'dist/index.js',
        'dist/index.d.ts',
        'native/tensor.cc',
        'CMakeLists.txt',
        'scripts/install.mjs',
        'bin/torchlet.js',
        'README.md',
        'LICENSE',
      ]),
    );
    console.log(
      `torchlet tarball: ${(packed.size / 2 ** 20).toFixed(2)} MiB packed, ${(packed.unpackedSize / 2 ** 20).toFixed(2)} MiB unpacked, ${packed.files.length} files`,
    );
  });

  it.each(flavours.map((f) => [describeLibtorch(f.libtorch), f] as const))(
    'with a matching prebuild for %s: installs offline in seconds without a compiler, and trains',
    (_name, { folder, libtorch }) => {
      const dir = project(`with-prebuild-${prebuildName(libtorch)}`);
      const env = { PATH: noCompiler, LIBTORCH: folder };
      const started = performance.now();
      const install = run(dir, 'npm', offline.concat(tarball), env);
      const seconds = (performance.now() - started) / 1000;
      expect(install.status, failure(install)).toBe(0);
      expect(install.stdout).toContain(
        `torchlet: using the prebuilt addon prebuilds/linux-x64/${prebuildName(libtorch)} for ${describeLibtorch(libtorch)}`,
      );
      expect(seconds).toBeLessThan(60); // "in seconds": no compile ran (none could: no compiler on PATH)
      expect(existsSync(join(dir, 'node_modules/torchlet/build/Release'))).toBe(false);
      const trained = run(dir, process.execPath, ['train.mjs'], env);
      expect(trained.status, failure(trained)).toBe(0);
      const result = JSON.parse(trained.stdout);
      expect(Number.isFinite(result.loss) && Number.isFinite(result.valLoss)).toBe(true);
      expect(result.backend).toMatchObject({ addon: 'prebuild', torchVersion: libtorch.version, cudaBuild: libtorch.variant !== 'cpu' });
    },
    600_000,
  );

  it('without a matching prebuild but with a toolchain: builds from source, offline, and trains', () => {
    const { folder, libtorch } = flavours[0];
    const dir = project('from-source');
    const install = run(dir, 'npm', offline.concat(tarball), { PATH: noCompiler, LIBTORCH: folder });
    expect(install.status, failure(install)).toBe(0);
    rmSync(join(dir, 'node_modules/torchlet/prebuilds'), { recursive: true });
    rmSync(join(dir, 'node_modules/torchlet/build'), { recursive: true, force: true });
    const rebuild = run(dir, 'npm', ['rebuild', 'torchlet', '--offline', '--foreground-scripts'], { LIBTORCH: folder });
    expect(rebuild.status, failure(rebuild)).toBe(0);
    expect(rebuild.stdout).toContain(`torchlet: no prebuilt addon for ${describeLibtorch(libtorch)}: building from source`);
    expect(readdirSync(join(dir, 'node_modules/torchlet/build/Release'))).toContain('torchlet.node');
    const trained = run(dir, process.execPath, ['train.mjs'], { PATH: noCompiler });
    expect(trained.status, failure(trained)).toBe(0);
    expect(JSON.parse(trained.stdout).backend).toMatchObject({ addon: 'source build', torchVersion: libtorch.version });
  }, 600_000);

  it('with a libtorch older than 1.13: the install succeeds and says so; the import names the version and the range', () => {
    const dir = project('old-libtorch');
    const old = mkdtempSync(join(tmpdir(), 'libtorch-1.12-'));
    mkdirSync(join(old, 'lib'));
    mkdirSync(join(old, 'share/cmake/Torch'), { recursive: true });
    mkdirSync(join(old, 'include/torch/csrc/api/include/torch'), { recursive: true });
    for (const f of ['lib/libtorch.so', 'lib/libc10.so', 'share/cmake/Torch/TorchConfig.cmake']) writeFileSync(join(old, f), '');
    writeFileSync(
      join(old, 'include/torch/csrc/api/include/torch/version.h'),
      '#define TORCH_VERSION_MAJOR 1\n#define TORCH_VERSION_MINOR 12\n#define TORCH_VERSION_PATCH 1\n',
    );
    const env = { PATH: noCompiler, LIBTORCH: old };
    const install = run(dir, 'npm', offline.concat(tarball), env);
    expect(install.status, failure(install)).toBe(0);
    expect(install.stdout).toMatch(
      /torchlet: torchlet supports libtorch 1\.13 and later; found libtorch 1\.12\.1 \(cpu, .*\) at .*\. The install goes on\./,
    );
    const imported = run(dir, process.execPath, ['train.mjs'], env);
    expect(imported.status).toBe(1);
    expect(imported.signal).toBeNull();
    expect(imported.stderr).toMatch(
      /NativeLoadError: torchlet: the native addon could not be loaded\.\ntorchlet supports libtorch 1\.13 and later; found libtorch 1\.12\.1/,
    );
  }, 600_000);

  it('without libtorch: the install succeeds, and the import names the three fixes', () => {
    const dir = project('no-libtorch');
    const hidden = { PATH: noCompiler, LIBTORCH: '/nonexistent', TORCHLET_PYTHON: '/bin/false', TORCHLET_SYSTEM_LIB_DIRS: '' };
    const install = run(dir, 'npm', offline.concat(tarball), hidden);
    expect(install.status, failure(install)).toBe(0);
    expect(install.stdout).toContain('torchlet: libtorch was not found, so torchlet cannot run yet; the install goes on.');
    const imported = run(dir, process.execPath, ['train.mjs'], hidden);
    expect(imported.status).toBe(1);
    expect(imported.signal).toBeNull(); // an error, not a crash
    expect(imported.stderr).toMatch(
      /NativeLoadError: torchlet: the native addon could not be loaded\.\ntorchlet could not find libtorch\./,
    );
    for (const fix of ['LIBTORCH=/path/to/libtorch', 'pip install torch', 'apt-get install libtorch-dev'])
      expect(imported.stderr).toContain(fix);
  }, 600_000);
});
