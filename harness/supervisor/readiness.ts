import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** How often the supervisor looks at a starting worker's history for its worker-start. */
const POLL_MS = 20;

/** The size of a file, 0 when it does not exist yet. */
export function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/**
 * Resolves once a `worker-start` line appears in `historyPath` after byte `offset` (the
 * worker protocol's readiness: the worker writes it when it takes work), with the pid it
 * names; rejects when `stop` aborts first. Reads only the new bytes at each look.
 */
export async function awaitWorkerStart(
  historyPath: string,
  offset: number,
  stop: AbortSignal,
): Promise<number> {
  let position = offset;
  let pending = '';
  for (;;) {
    stop.throwIfAborted();
    const size = sizeOf(historyPath);
    if (size > position) {
      const fd = openSync(historyPath, 'r');
      try {
        const buffer = Buffer.alloc(size - position);
        readSync(fd, buffer, 0, buffer.length, position);
        position = size;
        pending += buffer.toString('utf8');
      } finally {
        closeSync(fd);
      }
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"worker-start"')) continue;
        const event = JSON.parse(line) as { type?: string; pid?: number };
        if (event.type === 'worker-start' && typeof event.pid === 'number') return event.pid;
      }
    }
    await sleep(POLL_MS, undefined, { signal: stop }).catch(() => {});
  }
}
