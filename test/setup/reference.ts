// Generates the PyTorch reference fixtures (scripts/reference/) once per test run, when they are
// missing or older than the scripts that make them. The oracle is Debian's python3-torch at
// /usr/bin/python3; set TORCHLET_ORACLE_PYTHON to use another.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_DIR = join(import.meta.dirname, '..', '.fixtures');
const SCRIPT_DIR = join(import.meta.dirname, '..', '..', 'scripts', 'reference');

export default function setup(): void {
  const suites = readdirSync(SCRIPT_DIR)
    .filter((f) => f.endsWith('.py') && f !== 'generate.py' && f !== 'fixture.py')
    .map((f) => f.slice(0, -3));
  const scriptsChanged = Math.max(...readdirSync(SCRIPT_DIR).map((f) => statSync(join(SCRIPT_DIR, f)).mtimeMs));
  const stale = suites.filter((s) => {
    const file = join(FIXTURE_DIR, `${s}.json`);
    return !existsSync(file) || statSync(file).mtimeMs < scriptsChanged;
  });
  if (stale.length === 0) return;
  const python = process.env.TORCHLET_ORACLE_PYTHON ?? '/usr/bin/python3';
  execFileSync(python, [join(SCRIPT_DIR, 'generate.py'), FIXTURE_DIR, ...stale], { stdio: 'inherit' });
}
