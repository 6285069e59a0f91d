// Picks the PyTorch that the tests compare op math against and generates its reference fixtures
// (scripts/reference/) once per test run, when they are missing or older than the scripts that
// make them. The oracle is the Python whose PyTorch matches the libtorch the addon was built
// against (the project's .venv for PyTorch 2.13, Debian's /usr/bin/python3 for its libtorch
// 1.13); TORCHLET_ORACLE_PYTHON overrides it. Fixtures are kept per libtorch version. Keras's
// fixtures (scripts/keras-reference/: Keras semantics) come the same way from the project's
// .venv-keras, or TORCHLET_KERAS_PYTHON.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { readBuildStamp } from '../../lib/addon-build.js';
import { locateLibtorch, matchingPython } from '../../lib/libtorch.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT_DIR = join(ROOT, 'scripts', 'reference');
const KERAS_SCRIPT_DIR = join(ROOT, 'scripts', 'keras-reference');

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Python with the PyTorch that the tests compare against. */
    oraclePython: string;
    /** The folder of that PyTorch's reference fixtures. */
    fixtureDir: string;
    /** The folder of Keras's reference fixtures. */
    kerasFixtureDir: string;
  }
}

export default function setup(project: TestProject): void {
  const libtorch = readBuildStamp(join(ROOT, 'build')) ?? locateLibtorch();
  const python = process.env.TORCHLET_ORACLE_PYTHON ?? matchingPython(libtorch);
  if (!python) {
    throw new Error(
      `no Python with PyTorch ${libtorch.version} to compute the reference values for libtorch ${libtorch.version} at ${libtorch.libDir}: ` +
        `install torch==${libtorch.version} into .venv, or set TORCHLET_ORACLE_PYTHON`,
    );
  }
  const fixtureDir = join(ROOT, 'test', '.fixtures', `libtorch-${libtorch.version}`);
  project.provide('oraclePython', python);
  project.provide('fixtureDir', fixtureDir);

  refresh(python, SCRIPT_DIR, fixtureDir);

  const keras = process.env.TORCHLET_KERAS_PYTHON ?? join(ROOT, '.venv-keras', 'bin', 'python');
  if (!existsSync(keras)) {
    throw new Error(
      `no Python with Keras at ${keras} to compute the Keras reference values: run scripts/setup.sh (or ` +
        `bash scripts/setup-venv.sh .venv-keras tensorflow-cpu==2.21.0), or set TORCHLET_KERAS_PYTHON`,
    );
  }
  const kerasFixtureDir = join(ROOT, 'test', '.fixtures', 'keras');
  project.provide('kerasFixtureDir', kerasFixtureDir);
  refresh(keras, KERAS_SCRIPT_DIR, kerasFixtureDir);
}

// Makes again the fixtures of scriptDir's suites made by another oracle, or before the scripts last changed.
function refresh(python: string, scriptDir: string, fixtureDir: string): void {
  const oracleFile = join(fixtureDir, 'oracle.json');
  const sameOracle = existsSync(oracleFile) && JSON.parse(readFileSync(oracleFile, 'utf8')).python === python;
  const suites = readdirSync(scriptDir)
    .filter((f) => f.endsWith('.py') && f !== 'generate.py' && f !== 'fixture.py')
    .map((f) => f.slice(0, -3));
  const scriptsChanged = Math.max(...readdirSync(scriptDir).map((f) => statSync(join(scriptDir, f)).mtimeMs));
  const stale = suites.filter((s) => {
    const file = join(fixtureDir, `${s}.json`);
    return !sameOracle || !existsSync(file) || statSync(file).mtimeMs < scriptsChanged;
  });
  if (stale.length === 0) return;
  execFileSync(python, [join(scriptDir, 'generate.py'), fixtureDir, ...stale], { stdio: 'inherit' });
  mkdirSync(fixtureDir, { recursive: true });
  writeFileSync(oracleFile, JSON.stringify({ python }) + '\n');
}
