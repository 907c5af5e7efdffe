import { setTimeout as sleep } from 'node:timers/promises';
import type { RunOutcome } from '../../adapters/types.js';
import type { HistoryWriter } from '../../core/history/writer.js';

/**
 * The runs of one cell the harness still waits for: a run is pending from its submission
 * until the driver reports its final state, which goes into the history as `run-done`.
 */
export class RunTracker {
  readonly #pending = new Set<string>();
  #drained: (() => void) | null = null;

  constructor(
    private readonly history: HistoryWriter,
    private readonly cell: string,
  ) {}

  get pending(): number {
    return this.#pending.size;
  }

  add(runId: string): void {
    this.#pending.add(runId);
  }

  /** Not acknowledged by the orchestrator: not its to lose, so not waited for. */
  forget(runId: string): void {
    this.#pending.delete(runId);
    if (this.#pending.size === 0) this.#drained?.();
  }

  readonly onRunDone = (outcome: RunOutcome): void => {
    // A driver reports completions in batches (a BLMPOP of 1,000, say): one write for each batch.
    this.history.appendInTick({ type: 'run-done', cell: this.cell, ...outcome });
    this.forget(outcome.runId);
  };

  /** Waits until every pending run is done or `timeoutMs` passed; returns the runs still open. */
  async drain(timeoutMs: number): Promise<number> {
    if (this.#pending.size > 0) {
      const allDone = new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
      const timeout = new AbortController();
      await Promise.race([allDone, sleep(timeoutMs, undefined, { signal: timeout.signal }).catch(() => {})]);
      timeout.abort();
    }
    return this.#pending.size;
  }
}
