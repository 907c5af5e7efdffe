import { z } from 'zod';
import { RESULTS_SCHEMA_VERSION } from '../../core/results.js';

/**
 * What reading a results.json relies on (`faultline compare`, `ci --baseline`, the gates):
 * the cells with the metrics the gates and the comparison read. A file that lacks them is
 * named with the field that is missing, not met with a stack trace; the rest is carried along.
 */
const count = z.number().finite().min(0);
const nullableMs = z.number().finite().nullable();

const CellSchema = z
  .object({
    id: z.string(),
    scenario: z.string(),
    adapter: z.string(),
    fault: z.string(),
    verdict: z.enum(['pass', 'fail', 'unknown']),
    runs: z.object({ submitted: count, completed: count, failed: count, lost: count }).loose(),
    effects: z
      .object({
        expectedPerRun: count,
        applied: count,
        duplicates: count,
        deduplicated: count,
        compensated: count,
      })
      .loose(),
    attempts: z
      .object({ total: count, duplicates: count, retryAmplification: z.number().finite().nullable() })
      .loose(),
    latencyMs: z
      .object({
        count,
        p50: nullableMs,
        p90: nullableMs,
        p95: nullableMs,
        p99: nullableMs,
        max: nullableMs,
        mean: nullableMs,
      })
      .loose(),
    throughputPerSec: z.number().finite().nullable(),
    anomalyCounts: z.record(z.string(), count),
    faults: z.array(
      z.object({ timeToFirstProgressMs: nullableMs, timeToThroughputRecoveryMs: nullableMs }).loose(),
    ),
  })
  .loose();

export const ResultsFileSchema = z
  .object({
    schemaVersion: z.literal(RESULTS_SCHEMA_VERSION, {
      error: (issue) =>
        `schemaVersion ${JSON.stringify(issue.input)}; this faultline reads ${RESULTS_SCHEMA_VERSION}`,
    }),
    config: z.record(z.string(), z.unknown()),
    cells: z.array(CellSchema),
  })
  .loose();
