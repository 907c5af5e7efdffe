import type { Reporter } from 'vitest/reporters';

interface TestCaseLike {
  fullName: string;
  result(): { state: string };
}

/**
 * Prints one plain closing line, "N passed, N failed, N skipped", after vitest's own
 * summary, so any CI reading test output (not just vitest-aware ones) can count. Above it,
 * each skipped test by its full name: a skip's name is its reason, and vitest's default
 * reporter shows only a count outside a terminal.
 */
export default class ClosingLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<{ children: { allTests(): Iterable<TestCaseLike> } }>) {
    let passed = 0;
    let failed = 0;
    const skipped: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped.push(test.fullName);
      }
    }
    for (const name of skipped) console.log(`skipped: ${name}`);
    console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped.length} skipped`);
  }
}
