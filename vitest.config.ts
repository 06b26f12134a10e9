import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Integration files each start their own broker/DB on ephemeral ports; two at a time
    // keeps a 2-core CI machine from timing out.
    maxWorkers: 2,
    globalSetup: ['tests/helpers/global-setup.ts'],
    // CI also writes a JSON report, from which .ci/run prints the plain "N passed, N failed" line
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-report.json' }]] : ['default'],
  },
});
