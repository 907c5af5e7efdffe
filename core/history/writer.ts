import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { now } from '../clock.js';
import type { HistoryEvent, NewEvent } from './events.js';

/**
 * Appends one JSON line per event with a single synchronous write(2). Once write
 * returns, the line is in the kernel's page cache and survives a SIGKILL of this
 * process a moment later; no fsync per event (DESIGN.md's budget).
 */
export class HistoryWriter {
  private fd: number | null;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }

  append(event: NewEvent): HistoryEvent {
    const stamped = { ...event, t: now() } as HistoryEvent;
    this.write(stamped);
    return stamped;
  }

  /** Writes an event whose `t` the caller chose (used when merging and in tests). */
  write(event: HistoryEvent): void {
    if (this.fd === null) throw new Error(`history writer for ${this.path} is closed`);
    writeSync(this.fd, `${JSON.stringify(event)}\n`);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
