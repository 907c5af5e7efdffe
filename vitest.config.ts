import { defineConfig } from 'vitest/config';
import SlowestFirst from './test/sequencer/slowest-first.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Two files at a time on the 2-core machine. Integration suites spend most of their time
    // waiting (recovery timeouts, drains, a worker's restart), so two overlap well: the whole
    // suite took 656 s so, against 1,300 s one file at a time. Every check of "nothing left
    // running" is kept to the test's own processes (its registry, its clock anchor), never
    // the machine's, so two suites never see each other's.
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The slowest files first, fresh clone or not (test/sequencer/slowest-first.ts).
    sequence: { sequencer: SlowestFirst },
    reporters: ['default', './test/reporters/closing-line.ts'],
  },
});
