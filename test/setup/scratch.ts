// Every temporary file of a test run (the tests' own folders, and those of the npm, cmake and
// compiler runs they start) goes into one folder, removed when the run ends: a full suite makes
// gigabytes of package installs and builds, which must not pile up on the machine's disk.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const scratch = mkdtempSync(join(tmpdir(), 'torchlet-tests-'));
  process.env.TMPDIR = scratch; // os.tmpdir() and child processes, in this process and the test workers
  return () => rmSync(scratch, { recursive: true, force: true });
}
