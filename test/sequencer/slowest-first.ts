import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The suite's slowest files, slowest first (seconds each on the 2-core machine, from a
 * fresh clone's `npm test`). Two files run at a time, so a long file that starts last is a
 * tail nobody shares: on a fresh clone vitest has no durations yet and starts the largest
 * files first, which put mutants.test.ts (59th by size) near the end.
 */
export const SLOWEST_FILES = [
  'test/integration/chaos-delivery.test.ts', // 207 s
  'test/integration/worker-conformance.test.ts', // 194 s
  'test/integration/mutants.test.ts', // 106 s
  'test/integration/scenarios-library.test.ts', // 76 s
  'test/integration/deploy.test.ts', // 73 s
  'test/integration/scenarios-training.test.ts', // 64 s
  'test/integration/temporal.test.ts', // 54 s
  'test/integration/timers-footprint.test.ts', // 53 s
  'test/integration/temporal-python.test.ts', // 53 s
  'test/integration/api-example.test.ts', // 48 s
];

/** Longest first: the files above in their order, then the rest as vitest orders them. */
export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const rank = (file: TestSpecification) => {
      const index = SLOWEST_FILES.indexOf(relative(root, file.moduleId));
      return index < 0 ? SLOWEST_FILES.length : index;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
