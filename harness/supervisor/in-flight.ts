import { closeSync, openSync, readSync } from 'node:fs';
import type { StepInFlight } from '../../chaos/ports.js';
import { sizeOf } from './readiness.js';

/**
 * The steps a worker has in flight right now, read from its own history file: `attempt`
 * lines without their `step-done` (approval waits excepted: a human, not the worker, holds
 * them). Reads only what was appended since the last look, so asking often is cheap; a new
 * `worker-start` (a restart) clears what the dead incarnation held. Attempts that name the
 * process running them (`pid`, workers with pool children) say which child runs what.
 */
export class InFlightTracker {
  #offset = 0;
  #pending = '';
  readonly #open = new Map<string, StepInFlight & { pid?: number }>();

  constructor(
    private readonly historyPath: string,
    private readonly isApproval: (stepId: string) => boolean,
  ) {}

  /** The steps in flight now, in the order they began. */
  steps(): StepInFlight[] {
    this.#read();
    return [...this.#open.values()].map(({ pid: _pid, ...step }) => step);
  }

  /** The step each process runs now, by pid (the last opened, should one hold several). */
  byPid(): Map<number, StepInFlight> {
    this.#read();
    const byPid = new Map<number, StepInFlight>();
    for (const { pid, ...step } of this.#open.values()) if (pid !== undefined) byPid.set(pid, step);
    return byPid;
  }

  #read(): void {
    const size = sizeOf(this.historyPath);
    if (size < this.#offset) {
      // A restarted worker cut off the partial line its killed predecessor left: drop it too.
      this.#offset = size;
      this.#pending = '';
    }
    if (size <= this.#offset) return;
    const fd = openSync(this.historyPath, 'r');
    const buffer = Buffer.alloc(size - this.#offset);
    try {
      readSync(fd, buffer, 0, buffer.length, this.#offset);
    } finally {
      closeSync(fd);
    }
    this.#offset = size;
    const lines = (this.#pending + buffer.toString('utf8')).split('\n');
    this.#pending = lines.pop() ?? '';
    for (const line of lines) this.#apply(line);
  }

  #apply(line: string): void {
    let event: { type?: string; runId?: string; stepId?: string; attempt?: number; pid?: number };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    if (event.type === 'worker-start') this.#open.clear();
    if (event.stepId === undefined || this.isApproval(event.stepId)) return;
    const key = `${event.runId}|${event.stepId}|${event.attempt}`;
    if (event.type === 'attempt') {
      this.#open.set(key, {
        runId: String(event.runId),
        stepId: event.stepId,
        attempt: Number(event.attempt),
        ...(typeof event.pid === 'number' ? { pid: event.pid } : {}),
      });
    } else if (event.type === 'step-done') this.#open.delete(key);
  }
}
