import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Results } from '../../core/results.js';
import type { ExperimentInput } from '../../harness/config/experiment.js';
import { parseExperiment } from '../../harness/config/load-experiment.js';
import { runExperiment } from '../../harness/runner/experiment-run.js';

/** Runs an experiment for real (services, world, worker processes) into a fresh temp folder. */
export async function runForTest(input: ExperimentInput): Promise<{ results: Results; outDir: string }> {
  const outDir = mkdtempSync(join(tmpdir(), 'faultline-test-'));
  const lines: string[] = [];
  try {
    const results = await runExperiment(parseExperiment(input, 'test experiment'), outDir, (l) =>
      lines.push(l),
    );
    return { results, outDir };
  } catch (error) {
    console.error(`run log:\n${lines.join('\n')}`);
    throw error;
  }
}
