// The tests that exercise lib/nn, lib/optim, lib/model/losses.ts and lib/model/meter.ts, for
// mutation testing (npm run mutate, stryker.config.json): the rest of the suite packs, builds
// or spawns processes, which a mutant of those files cannot change.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/nn/**/*.test.ts', 'test/optim/**/*.test.ts', 'test/model/*.test.ts', 'test/ops.test.ts', 'test/trajectory.test.ts'],
    globalSetup: ['test/setup/reference.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
