import { isFaultCell, type LatencyStat, metric, type RecoveryStat } from '../analysis/metrics/catalog.js';
import type { CellResult } from '../core/results.js';
import { criticalPathMs } from '../scenarios/critical-path.js';
import type { Scenario } from '../scenarios/model.js';
import { fmtMs, governedBy, plural } from './format.js';

/**
 * The production-readiness criteria, each a pure function from the cells of one
 * scenario × adapter to PASS / FAIL / UNKNOWN with evidence strings that cite the
 * numbers and the cell ids. UNKNOWN whenever the cells needed to decide do not
 * exist or have no samples: a criterion never passes for lack of evidence.
 */

export type ReadinessStatus = 'PASS' | 'FAIL' | 'UNKNOWN';

export interface CriterionResult {
  id: CriterionId;
  title: string;
  status: ReadinessStatus;
  evidence: string[];
}

export const CRITERIA = [
  'durability',
  'duplicates',
  'recovery',
  'latency',
  'compensation',
  'human-in-the-loop',
  'traceability',
] as const;
export type CriterionId = (typeof CRITERIA)[number];

export interface CriteriaSettings {
  durabilityFaults: string[];
  restartFaults: string[];
  maxDuplicates: number;
  recovery: { stat: RecoveryStat; sloMs: number };
  latency: { stat: LatencyStat; sloMs?: number; overheadMs: number; cells: 'baseline' | 'all' };
  approvalScenarios: string[];
}

export interface CriterionInput {
  scenario: string;
  cells: CellResult[];
  settings: CriteriaSettings;
  /** The scenario as config.json recorded it: its SLO and critical path. */
  definition?: Scenario;
  /** The human approver's delay, part of an approval scenario's ideal duration. */
  approvalDelayMs?: number;
}

const result = (
  id: CriterionId,
  title: string,
  status: ReadinessStatus,
  evidence: string[],
): CriterionResult => ({
  id,
  title,
  status,
  evidence,
});

/** A cell "has" a fault when it is its cell's fault or one of its recorded occurrences. */
function hasFault(cell: CellResult, fault: string): boolean {
  return cell.fault === fault || cell.faults.some((f) => f.kind === fault);
}

const faulted = isFaultCell;
const ran = (cell: CellResult) => cell.runs.submitted > 0;

function decide(failed: boolean, unknown: boolean): ReadinessStatus {
  return failed ? 'FAIL' : unknown ? 'UNKNOWN' : 'PASS';
}

function durability({ cells, settings }: CriterionInput): CriterionResult {
  const title = `no lost run under ${settings.durabilityFaults.join(' and ')}`;
  const evidence: string[] = [];
  let failed = false;
  let unknown = settings.durabilityFaults.length === 0;
  for (const fault of settings.durabilityFaults) {
    const matching = cells.filter((c) => hasFault(c, fault) && ran(c));
    if (matching.length === 0) {
      unknown = true;
      evidence.push(`no ${fault} cell with runs: durability under ${fault} was not tested`);
    }
    for (const c of matching) {
      failed ||= c.runs.lost > 0;
      evidence.push(
        `${c.id}: ${c.runs.lost} of ${c.runs.submitted} runs lost (${c.runs.completed} completed, ${c.runs.failed} failed)`,
      );
    }
  }
  return result('durability', title, decide(failed, unknown), evidence);
}

function duplicates({ cells, settings }: CriterionInput): CriterionResult {
  const title = `at most ${settings.maxDuplicates} duplicate effects per cell`;
  const judged = cells.filter(ran);
  const evidence = judged.map(
    (c) =>
      `${c.id}: ${plural(c.effects.duplicates, 'duplicate effect')}, ${c.effects.deduplicated} blocked by idempotency keys`,
  );
  const failed = judged.some((c) => c.effects.duplicates > settings.maxDuplicates);
  const unknown = !judged.some(faulted);
  if (unknown) evidence.push('no cell with a fault: duplicates arise under faults, so this was not tested');
  return result('duplicates', title, decide(failed, unknown), evidence);
}

function recovery({ cells, settings }: CriterionInput): CriterionResult {
  const { stat, sloMs } = settings.recovery;
  const title = `recovery ${stat} (fault end → first progress) < ${fmtMs(sloMs)}`;
  const evidence: string[] = [];
  let failed = false;
  let measured = 0;
  for (const c of cells.filter(faulted)) {
    const stuck = c.faults.filter((f) => f.affectedRuns > 0 && f.timeToFirstProgressMs === null);
    for (const f of stuck) {
      failed = true;
      evidence.push(
        `${c.id}: ${f.kind} ${f.id} affected ${plural(f.affectedRuns, 'run')} and none progressed after it`,
      );
    }
    const value = metric(`recovery.${stat}`).read(c);
    if (value === null) {
      if (stuck.length === 0)
        evidence.push(`${c.id}: no recovery sample (${plural(c.faults.length, 'fault occurrence')})`);
      continue;
    }
    measured++;
    failed ||= !(value < sloMs);
    const governed = governedBy(c);
    const by = governed.length > 0 ? `, governed by ${governed.join(', ')}` : '';
    evidence.push(
      `${c.id}: recovery ${stat} ${fmtMs(value)} over ${plural(c.faults.length, 'occurrence')}${by}`,
    );
  }
  if (measured === 0 && !failed) evidence.push('no fault cell with a recovery sample');
  return result('recovery', title, decide(failed, measured === 0), evidence);
}

/**
 * The latency a scenario owes: one objective for all when the settings give one, else the
 * scenario's own `slo`, else its critical path (ideal fault-free duration) plus what
 * orchestration may add — so a 3 s training step is not failed against a 2 s objective.
 */
function latencyObjective(
  settings: CriteriaSettings['latency'],
  definition: Scenario | undefined,
  approvalDelayMs: number,
): { sloMs: number; why: string } | null {
  if (settings.sloMs !== undefined) return { sloMs: settings.sloMs, why: 'the objective set' };
  if (definition?.slo) return { sloMs: definition.slo.latencyP99Ms, why: "the scenario's own objective" };
  if (!definition) return null;
  const path = criticalPathMs(definition, approvalDelayMs);
  return {
    sloMs: path + settings.overheadMs,
    why: `critical path ${fmtMs(path)} + ${fmtMs(settings.overheadMs)}`,
  };
}

function latency({ cells, settings, definition, approvalDelayMs = 50 }: CriterionInput): CriterionResult {
  const { stat } = settings.latency;
  const objective = latencyObjective(settings.latency, definition, approvalDelayMs);
  if (objective === null)
    return result('latency', `latency ${stat} within the scenario's objective`, 'UNKNOWN', [
      'the scenario definition is not recorded: no objective to judge by',
    ]);
  const { sloMs } = objective;
  const scope = settings.latency.cells === 'baseline' ? 'fault-free cells' : 'all cells';
  const judged = cells.filter((c) => settings.latency.cells === 'all' || !faulted(c));
  const evidence: string[] = [];
  let failed = false;
  let unknown = judged.length === 0;
  if (unknown) evidence.push(`no ${settings.latency.cells === 'baseline' ? 'fault-free ' : ''}cell`);
  for (const c of judged) {
    const value = metric(`latency.${stat}`).read(c);
    if (value === null) {
      unknown = true;
      evidence.push(`${c.id}: no completed run, no latency sample`);
      continue;
    }
    failed ||= !(value < sloMs);
    evidence.push(`${c.id}: latency ${stat} ${fmtMs(value)} over ${plural(c.latencyMs.count, 'run')}`);
  }
  return result(
    'latency',
    `latency ${stat} < ${fmtMs(sloMs)} (${objective.why}) on ${scope}`,
    decide(failed, unknown),
    evidence,
  );
}

function compensation({ cells }: CriterionInput): CriterionResult {
  const evidence: string[] = [];
  let failed = false;
  let exercised = false;
  for (const c of cells) {
    const violations = c.anomalyCounts.compensation ?? 0;
    if (violations > 0) {
      failed = true;
      evidence.push(`${c.id}: ${plural(violations, 'compensation violation')}`);
    }
    if (c.effects.compensated > 0) {
      exercised = true;
      evidence.push(
        `${c.id}: ${plural(c.effects.compensated, 'effect')} compensated for ${plural(c.runs.failed, 'failed run')}`,
      );
    }
  }
  if (!exercised && !failed)
    evidence.push('no effect was compensated in any cell: compensation was not exercised');
  return result(
    'compensation',
    'failed runs undo their effects correctly',
    decide(failed, !exercised),
    evidence,
  );
}

function humanInTheLoop({ scenario, cells, settings }: CriterionInput): CriterionResult {
  const title = `approvals survive ${settings.restartFaults.join(' and ')}`;
  if (!settings.approvalScenarios.includes(scenario)) {
    return result('human-in-the-loop', title, 'UNKNOWN', [
      `scenario ${scenario} is not declared to have an approval step (readiness approvalScenarios): not tested`,
    ]);
  }
  const restarts = cells.filter((c) => settings.restartFaults.some((f) => hasFault(c, f)) && ran(c));
  if (restarts.length === 0) {
    return result('human-in-the-loop', title, 'UNKNOWN', [
      `no ${settings.restartFaults.join(' or ')} cell for ${scenario}`,
    ]);
  }
  const evidence = restarts.map(
    (c) =>
      `${c.id}: ${c.runs.lost} lost, ${c.effects.duplicates} duplicate effects, ${c.runs.completed} completed`,
  );
  const failed = restarts.some((c) => c.runs.lost > 0 || c.effects.duplicates > 0);
  const unknown = restarts.every((c) => c.runs.completed === 0);
  return result('human-in-the-loop', title, decide(failed, unknown), evidence);
}

function traceability({ cells }: CriterionInput): CriterionResult {
  const title = "every effect carries its run's correlation id";
  const evidence: string[] = [];
  let effects = 0;
  let failed = false;
  for (const c of cells) {
    const t = c.observability;
    if (t === undefined || t.effects === 0) continue;
    effects += t.effects;
    const bad = t.missing + t.mismatched;
    failed ||= bad > 0;
    evidence.push(
      bad === 0
        ? `${c.id}: all ${t.effects} effects carry their run's correlation id`
        : `${c.id}: ${bad} of ${t.effects} effects without their run's correlation id (${t.missing} missing, ${t.mismatched} wrong), e.g. ${t.examples.join('; ')}`,
    );
  }
  if (effects === 0) evidence.push('no effect events in the history');
  return result('traceability', title, decide(failed, effects === 0), evidence);
}

export const CRITERION_FUNCTIONS: Record<CriterionId, (input: CriterionInput) => CriterionResult> = {
  durability,
  duplicates,
  recovery,
  latency,
  compensation,
  'human-in-the-loop': humanInTheLoop,
  traceability,
};
