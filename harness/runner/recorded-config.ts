import { z } from 'zod';
import type { RecordedVersion } from '../../chaos/index.js';
import { MAX_RUNS } from '../../core/limits.js';
import type { AdapterTopology } from '../../core/topology.js';
import { type Scenario, ScenarioSchema } from '../../scenarios/model.js';
import { DEPLOY_CHANGES } from '../../scenarios/versions.js';

/**
 * config.json: the resolved experiment, written before anything starts and embedded in
 * results.json. With the history it is the whole truth of a run: `faultline report`
 * rebuilds every output from the two, without scenario files or adapter code.
 */
export interface RecordedConfig {
  seed: number;
  scenarios: string[];
  faults: string[];
  load: { runs: number; ratePerSec: number; workers: number; drainTimeoutMs: number; warmupRuns: number };
  thresholds: string[];
  /** Every adapter with the knob values used and its declared topology (recovery facts included). */
  adapters: {
    /** The name its cells use (an experiment entry's `as`, else the adapter's). */
    name: string;
    /** The adapter, when `name` is another name for it. */
    adapter?: string;
    knobs: Record<string, unknown>;
    topology: AdapterTopology;
  }[];
  /** The scenarios as data, as they were when the run started. */
  scenarioDefinitions: Scenario[];
  /** The matrix, each cell with the drain it waited. */
  cells: RecordedCell[];
  [key: string]: unknown;
}

export interface RecordedCell {
  id: string;
  scenario: string;
  adapter: string;
  fault: string;
  /** With `repeat` > 1: which repeat (1-based) and its seed. */
  repeat?: number;
  seed?: number;
  drainTimeoutMs: number;
  /** Cells whose faults change the scenario (a deploy): every version it ran, the change that made each. */
  scenarioVersions?: RecordedVersion[];
  /** Capacity steps: the cell's own load. */
  load?: { ratePerSec: number; workers: number };
  /** Capacity steps: the runs the cell's arrival plan held (each step has its own; others: `load.runs`). */
  runs?: number;
}

const KnobValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** What reading a run folder relies on; the rest of config.json is carried along as it is. */
export const RecordedConfigSchema = z
  .object({
    seed: z.number(),
    scenarios: z.array(z.string()),
    faults: z.array(z.string()),
    load: z
      .object({
        // The checker walks every planned run id: a hand-edited count must stay in range.
        runs: z.number().int().min(1).max(MAX_RUNS),
        ratePerSec: z.number(),
        workers: z.number(),
        drainTimeoutMs: z.number(),
        warmupRuns: z.number(),
      })
      .loose(),
    thresholds: z.array(z.string()),
    adapters: z.array(
      z
        .object({
          name: z.string(),
          knobs: z.record(z.string(), z.unknown()),
          topology: z
            .object({
              recovery: z
                .object({ boundMs: z.number(), governedBy: z.record(z.string(), KnobValue) })
                .loose(),
            })
            .loose(),
        })
        .loose(),
    ),
    scenarioDefinitions: z.array(ScenarioSchema),
    cells: z.array(
      z.object({
        id: z.string(),
        scenario: z.string(),
        adapter: z.string(),
        fault: z.string(),
        repeat: z.number().optional(),
        seed: z.number().optional(),
        drainTimeoutMs: z.number(),
        load: z.object({ ratePerSec: z.number().positive(), workers: z.number().int().min(1) }).optional(),
        runs: z.number().int().min(1).optional(),
        scenarioVersions: z
          .array(
            z
              .object({
                version: z.number().int().min(1),
                scenario: ScenarioSchema,
                change: z
                  .object({
                    change: z.enum(DEPLOY_CHANGES),
                    step: z.string(),
                    newStep: z.string().optional(),
                  })
                  .optional(),
              })
              .loose(),
          )
          .optional(),
      }),
    ),
  })
  .loose();
