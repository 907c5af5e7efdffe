import {
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { now } from '../clock.js';
import type { HistoryEvent, NewEvent } from './events.js';

/**
 * Appends one JSON line per event with a synchronous write(2). Once write returns, the
 * line is in the kernel's page cache and survives a SIGKILL of this process a moment
 * later; no fsync per event (DESIGN.md's budget).
 *
 * Lines emitted together may share one write: `appendInTick` queues a line, written with
 * every other line queued in the same tick by a microtask queued when the first of them
 * was, so before this process handles its next I/O event or timer: a line is never held
 * past an await of anything outside the process. The next `append`, `flush` or `close`
 * writes queued lines first, in the same write, so lines keep the order they were
 * emitted in.
 *
 * `appendAwaited` goes further, for lines whose caller waits for them before anyone
 * outside hears of what they record (a step's end, before its orchestrator does): the
 * line waits for the lines of every other job this process starts on the same I/O
 * events (a worker's batch of deliveries), and the promise it returns resolves once they
 * are all written, in one write.
 */
export class HistoryWriter {
  private fd: number | null;
  /** Lines queued by appendInTick and appendAwaited, not written yet. */
  private queued = '';
  /** The write of the lines appendAwaited queued, due at the next check phase. */
  private awaited: Promise<void> | null = null;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    // A process SIGKILLed mid-write (a restarted worker's predecessor) may have left a
    // partial last line: cut it off, or this writer's first line would be glued to it.
    cutTornTail(path);
    this.fd = openSync(path, 'a');
  }

  append(event: NewEvent): HistoryEvent {
    const stamped = { ...event, t: now() } as HistoryEvent;
    this.write(stamped);
    return stamped;
  }

  /**
   * An event written with the others of this tick in one write(2) (a batch of completions
   * observed at once, say). For lines whose consequences leave the process only after an
   * await: whatever awaits the caller runs in a microtask queued after the flush's. A line
   * followed by a synchronous send (a socket write, a child's kill) must use `append`.
   */
  appendInTick(event: NewEvent): void {
    const text = stampedLine(event, now());
    if (this.fd === null) throw new Error(`history writer for ${this.path} is closed`);
    if (this.queued === '') queueMicrotask(this.flushQueued);
    this.queued += text;
  }

  /**
   * An event written with the others emitted before this turn of the event loop polls
   * for I/O again (setImmediate); resolves once it is written. The caller must not let
   * anything outside the process learn of the event before then: it awaits the promise.
   */
  appendAwaited(event: NewEvent): Promise<void> {
    const text = stampedLine(event, now());
    if (this.fd === null) throw new Error(`history writer for ${this.path} is closed`);
    this.queued += text;
    this.awaited ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        this.awaited = null;
        if (this.fd !== null) this.flush();
        resolve();
      }),
    );
    return this.awaited;
  }

  /** Writes an event whose `t` the caller chose (used when merging and in tests). */
  write(event: HistoryEvent): void {
    this.writeLines(line(event));
  }

  /** Writes the lines queued by appendInTick now. */
  flush(): void {
    this.writeLines('');
  }

  close(): void {
    if (this.fd !== null) {
      this.flush();
      closeSync(this.fd);
    }
    this.fd = null;
  }

  private readonly flushQueued = () => {
    if (this.fd !== null) this.flush();
  };

  private writeLines(lines: string): void {
    if (this.fd === null) throw new Error(`history writer for ${this.path} is closed`);
    const text = this.queued + lines;
    this.queued = '';
    if (text !== '') writeSync(this.fd, text);
  }
}

const line = (event: HistoryEvent) => `${JSON.stringify(event)}\n`;

/**
 * The line of `event` stamped with `t`, as `line({ ...event, t })` writes it (`t` last), without
 * the copy: the queued appends run for every step and every run, thousands a second.
 */
export function stampedLine(event: NewEvent, t: number): string {
  const json = JSON.stringify(event);
  return `${json.slice(0, -1)},"t":${JSON.stringify(t)}}\n`;
}

/** The length of `path` up to and including its last newline: the part made of whole lines. */
export function completeLength(path: string): number {
  if (!existsSync(path)) return 0;
  const fd = openSync(path, 'r');
  try {
    return wholeLinesLength(fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

/** Truncates a partial last line (no newline at the end), which only a killed writer leaves. */
function cutTornTail(path: string): void {
  if (!existsSync(path)) return;
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const keep = wholeLinesLength(fd, size);
    if (keep < size) ftruncateSync(fd, keep);
  } finally {
    closeSync(fd);
  }
}

function wholeLinesLength(fd: number, size: number): number {
  const chunk = Buffer.alloc(4096);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const read = readSync(fd, chunk, 0, end - start, start);
    const newline = chunk.subarray(0, read).lastIndexOf(0x0a);
    if (newline >= 0) return start + newline + 1;
    end = start;
  }
  return 0;
}
