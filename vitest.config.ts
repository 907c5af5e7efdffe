import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration suites start real servers and worker processes: run files one at a
    // time so two suites never fight over 2 cores, and give them room to start.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/reporters/closing-line.ts'],
  },
});
