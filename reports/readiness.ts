import { z } from 'zod';
import { LATENCY_STATS, RECOVERY_STATS } from '../analysis/metrics/catalog.js';
import { describeZodError, InputError } from '../core/errors.js';
import type { Results } from '../core/results.js';
import type { Scenario } from '../scenarios/model.js';
import { interruptionText, mdCell, mdTable, unique } from './format.js';
import {
  CRITERIA,
  CRITERION_FUNCTIONS,
  type CriteriaSettings,
  type CriterionId,
  type CriterionResult,
  type ReadinessStatus,
} from './readiness-criteria.js';

/**
 * readiness.md and readiness.json: per scenario × adapter, each production
 * criterion PASS / FAIL / UNKNOWN with its evidence, and an overall status (FAIL if
 * any criterion fails, else UNKNOWN if any is unknown, else PASS).
 */

const READINESS_SCHEMA_VERSION = 1;

/** Readiness settings as a config section would give them; every field has a default. */
const ReadinessOptionsSchema = z
  .object({
    /** Which criteria to judge. */
    criteria: z.array(z.enum(CRITERIA)).default([...CRITERIA]),
    /** Durability: no run lost in a cell with each of these faults. */
    durabilityFaults: z.array(z.string().min(1)).default(['worker-kill', 'backend-restart']),
    /** Human-in-the-loop: the faults that count as a restart. */
    restartFaults: z.array(z.string().min(1)).default(['worker-kill', 'backend-restart']),
    /** Duplicate effects allowed per cell. */
    maxDuplicates: z.number().int().min(0).default(0),
    recovery: z
      .object({
        stat: z.enum(RECOVERY_STATS).default('p95'),
        sloMs: z.number().positive().default(30_000),
      })
      .strict()
      .default({ stat: 'p95', sloMs: 30_000 }),
    latency: z
      .object({
        stat: z.enum(LATENCY_STATS).default('p99'),
        /** One objective for every scenario; without it, each scenario's own (its `slo`, or its critical path plus overheadMs). */
        sloMs: z.number().positive().optional(),
        /** What orchestration may add to a scenario's critical path (its ideal fault-free duration). */
        overheadMs: z.number().min(0).default(2000),
        /** baseline: only fault-free cells (latency under faults is the recovery criterion's business). */
        cells: z.enum(['baseline', 'all']).default('baseline'),
      })
      .strict()
      .default({ stat: 'p99', overheadMs: 2000, cells: 'baseline' }),
    /** Scenarios with an approval step (human-in-the-loop is UNKNOWN for the others). */
    approvalScenarios: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type ReadinessOptions = z.infer<typeof ReadinessOptionsSchema>;
export type ReadinessOptionsInput = z.input<typeof ReadinessOptionsSchema>;

export function resolveReadinessOptions(input: unknown = {}, source = 'readiness options'): ReadinessOptions {
  const parsed = ReadinessOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) throw new InputError(describeZodError(parsed.error, source));
  return parsed.data;
}

interface ReadinessEntry {
  scenario: string;
  adapter: string;
  status: ReadinessStatus;
  /** The cells the evidence came from. */
  cells: string[];
  criteria: CriterionResult[];
}

export interface Readiness {
  schemaVersion: typeof READINESS_SCHEMA_VERSION;
  createdAt: string;
  options: ReadinessOptions;
  entries: ReadinessEntry[];
  /** Set for a run cut short: the sentence every report opens with (reports/format.ts). */
  interrupted?: string;
}

function overallStatus(statuses: readonly ReadinessStatus[]): ReadinessStatus {
  if (statuses.includes('FAIL')) return 'FAIL';
  if (statuses.length === 0 || statuses.includes('UNKNOWN')) return 'UNKNOWN';
  return 'PASS';
}

/** Judges every scenario × adapter of the results. */
export function evaluateReadiness(
  results: Results,
  options: ReadinessOptionsInput | ReadinessOptions = {},
): Readiness {
  const resolved = resolveReadinessOptions(options);
  const definitions = new Map(
    ((results.config.scenarioDefinitions ?? []) as Scenario[]).map((s) => [s.name, s]),
  );
  const approvalDelayMs = (results.config.approver as { delayMs?: number } | undefined)?.delayMs ?? 50;
  const settings: CriteriaSettings = resolved;
  const entries: ReadinessEntry[] = [];
  for (const scenario of unique(results.cells.map((c) => c.scenario))) {
    for (const adapter of unique(
      results.cells.filter((c) => c.scenario === scenario).map((c) => c.adapter),
    )) {
      const cells = results.cells.filter((c) => c.scenario === scenario && c.adapter === adapter);
      const cut = cells.filter((c) => c.interrupted !== undefined).map((c) => c.id);
      const criteria = resolved.criteria.map((id: CriterionId) => {
        const criterion = CRITERION_FUNCTIONS[id]({
          scenario,
          cells,
          settings,
          definition: definitions.get(scenario),
          approvalDelayMs,
        });
        // Evidence from a cell cut short is partial: it can fail a criterion, never pass one.
        if (cut.length === 0 || criterion.status !== 'PASS') return criterion;
        return {
          ...criterion,
          status: 'UNKNOWN' as const,
          evidence: [...criterion.evidence, `interrupted before it ended: ${cut.join(', ')}`],
        };
      });
      entries.push({
        scenario,
        adapter,
        status: overallStatus(criteria.map((c) => c.status)),
        cells: cells.map((c) => c.id),
        criteria,
      });
    }
  }
  const interrupted = interruptionText(results);
  return {
    schemaVersion: READINESS_SCHEMA_VERSION,
    createdAt: results.createdAt,
    options: resolved,
    entries,
    ...(interrupted === null ? {} : { interrupted }),
  };
}

export function renderReadinessJson(readiness: Readiness): string {
  return `${JSON.stringify(readiness, null, 2)}\n`;
}

export function renderReadinessMarkdown(readiness: Readiness): string {
  const { options } = readiness;
  const out = [
    '# Production readiness',
    '',
    `Judged from the run of ${mdCell(readiness.createdAt)}. PASS needs evidence; UNKNOWN means the run did not test it.`,
    '',
  ];
  if (readiness.interrupted !== undefined) out.push(`**${mdCell(readiness.interrupted)}**`, '');
  const ids = options.criteria;
  const rows = readiness.entries.map((e) => [
    mdCell(e.scenario),
    mdCell(e.adapter),
    `**${e.status}**`,
    ...ids.map((id) => e.criteria.find((c) => c.id === id)?.status ?? '–'),
  ]);
  out.push(mdTable(['scenario', 'adapter', 'overall', ...ids], rows), '');
  for (const entry of readiness.entries) {
    out.push(`## ${mdCell(entry.scenario)} × ${mdCell(entry.adapter)}: ${entry.status}`, '');
    for (const c of entry.criteria) {
      out.push(`- **${c.id}: ${c.status}** — ${mdCell(c.title)}`);
      for (const line of c.evidence) out.push(`  - ${mdCell(line)}`);
    }
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
