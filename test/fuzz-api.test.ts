// The public API under fuzzing (scripts/fuzz-api.mjs): generated calls across every public entry
// point, in a child process restarted after a death. Each call returns, or throws an Error whose
// message starts with the API's name; none kills the process or hangs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', 'scripts', 'fuzz-api.mjs');
const CALLS = 4000;

interface Report {
  calls: number;
  returned: number;
  errors: number;
  deaths: unknown[];
  hangs: unknown[];
  unnamed: unknown[];
  nonErrors: unknown[];
  byEntry: Record<string, { calls: number; errors: number }>;
}

function fuzz(args: string[]): Report {
  const json = join(mkdtempSync(join(tmpdir(), 'fuzz-api-')), 'report.json');
  const run = spawnSync(process.execPath, [script, ...args, '--json', json], { encoding: 'utf8' });
  expect(run.status, run.stderr.slice(-2000)).toBe(0);
  return JSON.parse(readFileSync(json, 'utf8')) as Report;
}

describe('the public API under fuzzing', () => {
  it.each([1, 2])(
    `seed %i: ${CALLS} generated calls, no death, no hang, every error named`,
    (seed) => {
      const report = fuzz(['--seed', String(seed), '--calls', String(CALLS)]);
      // Each list names the calls, to replay with the same seed.
      expect({ deaths: report.deaths, hangs: report.hangs, unnamed: report.unnamed, nonErrors: report.nonErrors }).toEqual({
        deaths: [],
        hangs: [],
        unnamed: [],
        nonErrors: [],
      });
      expect(report.returned + report.errors).toBe(CALLS);
      // The generator reaches calls that work as well as argument errors, across the whole API.
      expect(report.returned).toBeGreaterThan(CALLS / 10);
      expect(report.errors).toBeGreaterThan(CALLS / 2);
      expect(Object.keys(report.byEntry).length).toBeGreaterThan(150);
    },
    300_000,
  );

  it('reports deaths, hangs, unnamed errors and non-Errors, and goes on after each', () => {
    // With --self-test the generator also picks entries that kill the child, hang, throw an
    // Error that names no API, and throw a string. A hang is 8 s here: cifar10.synthetic() with
    // its defaults writes 60,000 images, which takes 4 s on a 2-core machine.
    const report = fuzz(['--seed', '3', '--calls', '300', '--hang-ms', '8000', '--self-test']);
    const calls = (list: unknown[]) => list.map((e) => (e as { call: string }).call.split('(')[0]);
    expect(new Set(calls(report.deaths))).toEqual(new Set(['selfTest.die']));
    expect(new Set(calls(report.hangs))).toEqual(new Set(['selfTest.hang']));
    expect(new Set(calls(report.unnamed))).toEqual(new Set(['selfTest.unnamed']));
    expect(new Set(calls(report.nonErrors))).toEqual(new Set(['selfTest.nonError']));
    expect(report.returned + report.errors + report.deaths.length + report.hangs.length + report.nonErrors.length).toBe(300);
  }, 120_000);
});
