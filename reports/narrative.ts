import { metric } from '../analysis/metrics/catalog.js';
import type { CellResult } from '../core/results.js';
import { fmtMs, fmtNum, governedBy, plural } from './format.js';

/**
 * One or two plain sentences saying what happened in a cell, for people who will
 * not read the tables: first what went wrong (or that nothing did), then how the
 * cell recovered from its faults (or, without faults, how fast it was).
 * A pure function of the CellResult.
 */
export function narrate(cell: CellResult): string[] {
  return [
    interruptedSentence(cell),
    outcomeSentence(cell),
    rolesSentence(cell),
    secondSentence(cell),
    redoneSentence(cell),
    worldBoundSentence(cell),
  ].filter((s): s is string => s !== null);
}

function interruptedSentence(cell: CellResult): string | null {
  if (cell.interrupted === undefined) return null;
  const how = cell.interrupted.signal ?? 'killed';
  return `The harness was stopped (${how}) before this cell ended: ${cell.runs.interrupted} of ${cell.runs.submitted} runs were still in flight, so the cell is not judged on them.`;
}

/** Above this share of a core, the simulated world, not the system under test, may have set the pace. */
export const WORLD_BOUND_CPU = 0.8;

function worldBoundSentence(cell: CellResult): string | null {
  const cpu = cell.world?.cpuUtilisation;
  if (cpu == null || cpu < WORLD_BOUND_CPU) return null;
  return `The simulated world used ${Math.round(cpu * 100)}% of a core: this cell may have measured the harness rather than ${cell.adapter}.`;
}

/**
 * Which kind of worker the faults hit, where an adapter's workers play different roles
 * (a workflow worker, an activity worker): a kill means different things for each.
 */
function rolesSentence(cell: CellResult): string | null {
  const hit = cell.faults.filter((f) => f.roles?.some((role) => role !== 'worker'));
  if (hit.length === 0) return null;
  const roles = [...new Set(hit.flatMap((f) => f.roles ?? []))];
  const targets = [...new Set(hit.map((f) => f.target))];
  const one = roles.length === 1 && targets.length === 1 && !targets[0]!.includes(',');
  const whom = one
    ? `${/^[aeiou]/.test(roles[0]!) ? 'an' : 'a'} ${roles[0]} worker`
    : `${joinList(roles)} workers`;
  return `The ${hit.length === 1 ? 'fault' : 'faults'} hit ${whom} (${targets.join(', ')}).`;
}

/** Checkpointed scenarios: how much work interruptions cost. */
function redoneSentence(cell: CellResult): string | null {
  if (cell.redoneWorkMs == null || cell.redoneWorkMs === 0) return null;
  return `${fmtMs(cell.redoneWorkMs)} of step work was done again after interruptions.`;
}

/** "under worker-kill", "after 2 worker-kill faults" — or nothing for the baseline. */
function faultPhrase(cell: CellResult): string {
  if (cell.faults.length === 0)
    return cell.fault === 'none' ? '' : ` under ${cell.fault} (no occurrence recorded)`;
  const kinds = [...new Set(cell.faults.map((f) => f.kind))].join(', ');
  return ` after ${cell.faults.length === 1 ? `a ${kinds} fault` : `${cell.faults.length} ${kinds} faults`}`;
}

function outcomeSentence(cell: CellResult): string {
  const { runs, effects } = cell;
  if (runs.submitted === 0) return 'No run was submitted, so there is nothing to judge.';
  const harms: string[] = [];
  if (runs.lost > 0) harms.push(`${runs.lost} of ${runs.submitted} runs lost`);
  if (effects.duplicates > 0) {
    harms.push(`${plural(effects.duplicates, 'effect')} applied more than once`);
  }
  const otherAnomalies = (['ordering', 'unexpected-outcome', 'compensation'] as const)
    .filter((kind) => (cell.anomalyCounts[kind] ?? 0) > 0)
    .map(
      (kind) => `${cell.anomalyCounts[kind]} ${kind} anomal${cell.anomalyCounts[kind] === 1 ? 'y' : 'ies'}`,
    );
  harms.push(...otherAnomalies);
  const dedup =
    effects.deduplicated > 0
      ? `; idempotency keys blocked ${plural(effects.deduplicated, 'repeated effect')}`
      : '';
  if (harms.length > 0) return `${capitalize(joinList(harms))}${faultPhrase(cell)}${dedup}.`;
  if (cell.interrupted !== undefined)
    return `No harm seen before the interrupt: ${runs.completed + runs.failed} of ${runs.submitted} runs finished${faultPhrase(cell)}.`;
  const failed = runs.failed > 0 ? ` (${runs.failed} failed as the scenario allows)` : '';
  const compensated = effects.compensated > 0 ? `, ${plural(effects.compensated, 'effect')} compensated` : '';
  return `All ${runs.submitted} runs finished${failed}${faultPhrase(cell)}: none lost, no effect applied twice${compensated}${dedup}.`;
}

function secondSentence(cell: CellResult): string | null {
  if (cell.runs.submitted === 0) return null;
  if (cell.faults.length === 0) {
    const { p50, p99 } = cell.latencyMs;
    if (p50 === null) return 'No run completed, so there is no latency to report.';
    const rate = cell.throughputPerSec === null ? '' : ` at ${fmtNum(cell.throughputPerSec)} runs/s`;
    return `Latency p50 ${fmtMs(p50)}, p99 ${fmtMs(p99)}${rate}.`;
  }
  const progress = metric('recovery.max').read(cell);
  const throughput = metric('throughputRecovery.max').read(cell);
  const governed = governedBy(cell);
  const by = governed.length > 0 ? `; recovery governed by ${governed.join(', ')}` : '';
  if (progress === null && throughput === null) {
    return `No affected run made progress after the fault, and throughput did not recover${by}.`;
  }
  const parts: string[] = [];
  const atMost = cell.faults.length > 1 ? 'at most ' : '';
  if (progress !== null)
    parts.push(`affected runs progressed again ${atMost}${fmtMs(progress)} after the fault`);
  if (throughput !== null) parts.push(`throughput was back to 90% after ${atMost}${fmtMs(throughput)}`);
  else parts.push('throughput did not get back to 90% of its pre-fault rate');
  // A fault that stalls runs without killing a step (a workflow worker's kill) shows here, not in first progress.
  const delay = maxDelay(cell);
  if (delay !== null && delay > 0)
    parts.push(`the slowest affected run took ${fmtMs(delay)} longer than the median`);
  return `${capitalize(parts.join(' and '))}${by}.`;
}

/** Largest extra delay of an affected run over the cell's faults, or null. */
function maxDelay(cell: CellResult): number | null {
  const values = cell.faults.map((f) => f.affectedRunsMaxDelayMs).filter((v): v is number => v !== null);
  return values.length === 0 ? null : Math.max(...values);
}

function joinList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
