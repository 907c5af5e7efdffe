import type { HistoryEvent } from '../../core/history/events.js';

/** What the live view knows of one cell while it runs (its own reading of the history). */
export interface LiveCell {
  id: string;
  scenario: string;
  adapter: string;
  fault: string;
  /** Runs the cell will submit. */
  runs: number;
  submitted: number;
  completed: number;
  failed: number;
  /** Runs not done when the cell's drain ended (known at its end; 0 before). */
  lost: number;
  effects: number;
  duplicateEffects: number;
  attempts: number;
  /** Epoch ms of cell-start, and of cell-end once it ended. */
  startedAt: number | null;
  endedAt: number | null;
  /** Faults going on now (kind → target), kills excepted: they are over as they happen. */
  activeFaults: Map<string, { kind: string; target: string }>;
  /** The last fault that started, for the progress line. */
  lastFault: string | null;
  faultsInjected: number;
  workersUp: Set<string>;
  /** Every worker seen, up or down. */
  workers: Set<string>;
}

/** A change a live view reacts to beyond the counters (Prometheus's latency histogram). */
export type LiveChange = { kind: 'run-done'; cell: LiveCell; latencySec: number | null };

export interface CellPlanEntry {
  id: string;
  scenario: string;
  adapter: string;
  fault: string;
  runs: number;
}

/**
 * The live counters of every cell, folded from history events as the tail hands them
 * over (in any order between files). It mirrors the checker's definitions so its final
 * counts equal results.json's: an effect is applied unless deduplicated, a second applied
 * effect of a (run, step) is a duplicate; every attempt line counts.
 */
export class LiveState {
  readonly cells: LiveCell[];
  readonly #byId: Map<string, LiveCell>;
  readonly #intended = new Map<string, number>();
  /** run-done seen before its submit (another file, read first): latency waits for the submit. */
  readonly #doneEarly = new Map<string, number>();
  readonly #applied = new Map<string, Set<string>>();
  /** Each worker's latest start or exit seen: files are read one after another, so order by time. */
  readonly #workerSeenAt = new Map<string, number>();

  constructor(plan: readonly CellPlanEntry[]) {
    this.cells = plan.map((entry) => ({
      ...entry,
      submitted: 0,
      completed: 0,
      failed: 0,
      lost: 0,
      effects: 0,
      duplicateEffects: 0,
      attempts: 0,
      startedAt: null,
      endedAt: null,
      activeFaults: new Map(),
      lastFault: null,
      faultsInjected: 0,
      workersUp: new Set(),
      workers: new Set(),
    }));
    this.#byId = new Map(this.cells.map((cell) => [cell.id, cell]));
  }

  /** The cell running now: started, not ended (the last one started when several overlap). */
  current(): LiveCell | undefined {
    return this.cells.filter((c) => c.startedAt !== null && c.endedAt === null).at(-1);
  }

  apply(event: HistoryEvent): LiveChange | null {
    const cell = this.#byId.get(event.cell);
    if (cell === undefined) return null;
    const runKey = `${event.cell}|${'runId' in event ? event.runId : ''}`;
    switch (event.type) {
      case 'cell-start':
        cell.startedAt = event.t;
        return null;
      case 'cell-end':
        cell.endedAt = event.t;
        cell.lost = event.undone;
        this.#applied.delete(cell.id);
        return null;
      case 'submit': {
        cell.submitted++;
        const done = this.#doneEarly.get(runKey);
        if (done === undefined) this.#intended.set(runKey, event.intendedAt);
        else {
          this.#doneEarly.delete(runKey);
          return { kind: 'run-done', cell, latencySec: (done - event.intendedAt) / 1000 };
        }
        return null;
      }
      case 'run-done': {
        if (event.status === 'completed') cell.completed++;
        else cell.failed++;
        const intendedAt = this.#intended.get(runKey);
        if (intendedAt === undefined) {
          this.#doneEarly.set(runKey, event.t);
          return null;
        }
        this.#intended.delete(runKey);
        return { kind: 'run-done', cell, latencySec: (event.t - intendedAt) / 1000 };
      }
      case 'attempt':
        cell.attempts++;
        return null;
      case 'effect': {
        if (event.deduplicated) return null;
        cell.effects++;
        const applied = this.#applied.get(cell.id) ?? new Set<string>();
        this.#applied.set(cell.id, applied);
        const key = `${event.runId}|${event.stepId}`;
        if (applied.has(key)) cell.duplicateEffects++;
        else applied.add(key);
        return null;
      }
      case 'fault-start':
        cell.faultsInjected++;
        cell.lastFault = event.fault;
        // Kills and failpoints carry `killed` and never get a fault-end: over as they happen.
        if (event.killed === undefined)
          cell.activeFaults.set(event.faultId, { kind: event.fault, target: event.target });
        return null;
      case 'fault-end':
        cell.activeFaults.delete(event.faultId);
        return null;
      case 'worker-start':
      case 'worker-exit': {
        cell.workers.add(event.worker);
        const key = `${cell.id}|${event.worker}`;
        if ((this.#workerSeenAt.get(key) ?? Number.NEGATIVE_INFINITY) > event.t) return null;
        this.#workerSeenAt.set(key, event.t);
        if (event.type === 'worker-start') cell.workersUp.add(event.worker);
        else cell.workersUp.delete(event.worker);
        return null;
      }
      default:
        return null;
    }
  }
}
