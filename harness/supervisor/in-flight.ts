import { closeSync, openSync, readSync } from 'node:fs';
import { sizeOf } from './readiness.js';

/**
 * The steps a worker has in flight right now, read from its own history file: `attempt`
 * lines without their `step-done` (approval waits excepted: a human, not the worker, holds
 * them). Reads only what was appended since the last look, so asking often is cheap; a new
 * `worker-start` (a restart) clears what the dead incarnation held.
 */
export class InFlightTracker {
  #offset = 0;
  #pending = '';
  readonly #open = new Set<string>();

  constructor(
    private readonly historyPath: string,
    private readonly isApproval: (stepId: string) => boolean,
  ) {}

  count(): number {
    this.#read();
    return this.#open.size;
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
    let event: { type?: string; runId?: string; stepId?: string; attempt?: number };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    if (event.type === 'worker-start') this.#open.clear();
    if (event.stepId === undefined || this.isApproval(event.stepId)) return;
    const key = `${event.runId}|${event.stepId}|${event.attempt}`;
    if (event.type === 'attempt') this.#open.add(key);
    else if (event.type === 'step-done') this.#open.delete(key);
  }
}
