// The soak (scripts/soak.mjs), short: a workload's RSS stays within +15% after warm-up and it
// leaves no tensor and no optimizer state behind. npm run soak runs 10,000 iterations of each.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', 'scripts', 'soak.mjs');

describe('memory over long runs', () => {
  it('stays flat for a tidy training loop, predict + dispose, evaluate, and models made, stepped and disposed', () => {
    const run = spawnSync(process.execPath, [script, '--iterations', '1500'], { encoding: 'utf8' });
    expect(run.status, `${run.stdout}\n${run.stderr.slice(-2000)}`).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toMatch(/: flat$/);
  }, 300_000);
});
