import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent } from '../../core/history/events.js';

/**
 * Follows the per-process history files of a running experiment (history.d/, new files
 * included as workers start), reading only what was appended since the last look: the
 * live view's one input, polled on a timer, so it adds nothing to the path of an event.
 * Only lines of the wanted types are parsed; a line still being written waits for the
 * next look.
 */
export class HistoryTail {
  readonly #files = new Map<string, { offset: number; pending: string }>();
  readonly #prefixes: string[];

  constructor(
    private readonly dir: string,
    types: readonly HistoryEvent['type'][],
    /** Which files to follow (e.g. only the harness's and the world's). */
    private readonly include: (file: string) => boolean = () => true,
  ) {
    // Writers serialise `type` first: a line's type is its prefix, no parse needed to skip it.
    this.#prefixes = types.map((type) => `{"type":"${type}"`);
  }

  /** The events appended since the last call, file by file (not merged in time order). */
  read(): HistoryEvent[] {
    const events: HistoryEvent[] = [];
    if (!existsSync(this.dir)) return events;
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.jsonl') || !this.include(name)) continue;
      this.#readFile(join(this.dir, name), events);
    }
    return events;
  }

  #readFile(path: string, into: HistoryEvent[]): void {
    let state = this.#files.get(path);
    if (state === undefined) {
      state = { offset: 0, pending: '' };
      this.#files.set(path, state);
    }
    const size = statSync(path).size;
    if (size <= state.offset) return;
    const buffer = Buffer.alloc(size - state.offset);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, state.offset);
    } finally {
      closeSync(fd);
    }
    state.offset = size;
    const lines = (state.pending + buffer.toString('utf8')).split('\n');
    state.pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!this.#prefixes.some((prefix) => line.startsWith(prefix))) continue;
      try {
        into.push(JSON.parse(line) as HistoryEvent);
      } catch {
        // Not a whole JSON line: nothing a writer of ours produces.
      }
    }
  }
}
