// `npm i torchlet` as a user gets it (the acceptance of the prebuilt-binary issue): pack the
// package with its prebuild, then install the tarball into empty projects, with the registry
// unreachable and, where it matters, no compiler on PATH.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'torchlet-package-'));
let tarball = '';

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
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: { HOME: process.env.HOME!, PATH: process.env.PATH!, ...env }, timeout: 600_000 });
}

// A project with torchlet's lockfile resolved while the registry is reachable (this fills npm's
// cache); the install itself then runs offline, through a dead proxy.
function project(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module' }));
  const lock = run(dir, 'npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', tarball]);
  expect(lock.status, lock.stderr).toBe(0);
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

const offline = ['install', '--offline', '--no-audit', '--no-fund', '--foreground-scripts', '--proxy', 'http://127.0.0.1:9', '--https-proxy', 'http://127.0.0.1:9'];

describe('npm i torchlet', () => {
  beforeAll(() => {
    makeBareBin();
    const prebuild = run(root, process.execPath, ['scripts/prebuild.mjs']);
    expect(prebuild.status, prebuild.stderr).toBe(0);
    const pack = run(root, 'npm', ['pack', '--json', '--pack-destination', work]);
    expect(pack.status, pack.stderr).toBe(0);
    const [report] = JSON.parse(pack.stdout);
    tarball = join(work, report.filename);
    const files: string[] = report.files.map((f: { path: string }) => f.path);
    // Only what users need: no tests, build folders, sources of the TypeScript or dev configs.
    expect(files.some((f) => f.startsWith('prebuilds/linux-x64/torchlet.libtorch-') && f.endsWith('.node'))).toBe(true);
    expect(files.filter((f) => /^(test|lib|build|build-prebuild|scripts\/(reference|bench))\//.test(f) || /tsconfig|vitest|\.ci|\.map$/.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'native/tensor.cc', 'CMakeLists.txt', 'scripts/install.mjs', 'bin/torchlet.js', 'README.md', 'LICENSE']));
  }, 900_000);

  it('with a matching prebuild: installs offline in seconds without a compiler, and trains', () => {
    const dir = project('with-prebuild');
    const started = performance.now();
    const install = run(dir, 'npm', offline.concat(tarball), { PATH: noCompiler });
    const seconds = (performance.now() - started) / 1000;
    expect(install.status, install.stderr).toBe(0);
    expect(install.stdout).toMatch(/torchlet: using the prebuilt addon prebuilds\/linux-x64\/torchlet\.libtorch-[\d.]+\.(cpu|cu\d+)\.node/);
    expect(seconds).toBeLessThan(60); // "in seconds": no compile ran (none could: no compiler on PATH)
    expect(existsSync(join(dir, 'node_modules/torchlet/build/Release'))).toBe(false);
    const trained = run(dir, process.execPath, ['train.mjs'], { PATH: noCompiler });
    expect(trained.status, trained.stderr).toBe(0);
    const result = JSON.parse(trained.stdout);
    expect(Number.isFinite(result.loss) && Number.isFinite(result.valLoss)).toBe(true);
  }, 600_000);

  it('without a matching prebuild but with a toolchain: builds from source, offline, and trains', () => {
    const dir = project('from-source');
    const install = run(dir, 'npm', offline.concat(tarball), { PATH: noCompiler });
    expect(install.status, install.stderr).toBe(0);
    rmSync(join(dir, 'node_modules/torchlet/prebuilds'), { recursive: true });
    rmSync(join(dir, 'node_modules/torchlet/build'), { recursive: true, force: true });
    const rebuild = run(dir, 'npm', ['rebuild', 'torchlet', '--offline', '--foreground-scripts']);
    expect(rebuild.status, rebuild.stderr).toBe(0);
    expect(rebuild.stdout).toMatch(/no prebuilt addon for libtorch [\d.]+ \((cpu|cu\d+)\): building from source/);
    expect(readdirSync(join(dir, 'node_modules/torchlet/build/Release'))).toContain('torchlet.node');
    const trained = run(dir, process.execPath, ['train.mjs'], { PATH: noCompiler });
    expect(trained.status, trained.stderr).toBe(0);
  }, 600_000);

  it('without libtorch: the install succeeds, and the import names the three fixes', () => {
    const dir = project('no-libtorch');
    const hidden = { PATH: noCompiler, LIBTORCH: '/nonexistent', TORCHLET_PYTHON: '/bin/false', TORCHLET_SYSTEM_LIB_DIRS: '' };
    const install = run(dir, 'npm', offline.concat(tarball), hidden);
    expect(install.status, install.stderr).toBe(0);
    expect(install.stdout).toContain('torchlet: libtorch was not found, so torchlet cannot run yet; the install goes on.');
    const imported = run(dir, process.execPath, ['train.mjs'], hidden);
    expect(imported.status).toBe(1);
    expect(imported.signal).toBeNull(); // an error, not a crash
    expect(imported.stderr).toMatch(/NativeLoadError: torchlet: the native addon could not be loaded\.\ntorchlet could not find libtorch\./);
    for (const fix of ['LIBTORCH=/path/to/libtorch', 'pip install torch', 'apt-get install libtorch-dev']) expect(imported.stderr).toContain(fix);
  }, 600_000);
});
