import type { Reporter } from 'vitest/reporters';

/**
 * Prints one plain closing line, "N passed, N failed, N skipped", after vitest's own
 * summary, so any CI reading test output (not just vitest-aware ones) can count.
 */
export default class ClosingLineReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<{ children: { allTests(): Iterable<{ result(): { state: string } }> } }>,
  ) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  }
}
