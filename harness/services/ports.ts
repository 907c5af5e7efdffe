/** Free loopback ports, and waiting until something answers. */
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfrastructureError } from '../../core/errors.js';

/**
 * A port that was free on 127.0.0.1 a moment ago: the OS picks it (listen on port 0), we
 * read it and close. Another process could take it before our server binds; on a test
 * machine that race is rare enough, and a failed bind shows up as a start-up error.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Named in the error: "redis on 127.0.0.1:6379 did not answer within 10000 ms". */
  what: string;
  /** Stops waiting early (e.g. the process died); the reason is rethrown. */
  signal?: AbortSignal;
}

/**
 * Polls `check` until it returns true. A check that throws counts as "not yet"; its last
 * error is quoted in the timeout message, since it usually says why (ECONNREFUSED...).
 */
export async function waitUntil(check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const { timeoutMs, intervalMs = 100, what, signal } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    signal?.throwIfAborted();
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new InfrastructureError(`${what} did not answer within ${timeoutMs} ms${reason}`);
    }
    await sleep(intervalMs);
  }
}
