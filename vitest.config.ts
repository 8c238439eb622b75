import { defineConfig } from 'vitest/config';

/**
 * How the suite bounds time is explained in test/support/budget.ts: no test may fail because the
 * machine is busy, but every hang is caught and named.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests that run the built CLI never see stale code (test/support/build-dist.ts).
    globalSetup: ['./test/support/build-dist.ts'],
    // One process per test file: the CPU-time bounds (test/property/support.ts) measure the process.
    pool: 'forks',
    // Hang guards, far above what any ordinary test or hook needs even on a loaded machine.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default', './test/support/hang-watchdog.ts'],
  },
});
