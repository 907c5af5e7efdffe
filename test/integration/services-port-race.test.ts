/**
 * The race freePort leaves open: a port free when chosen is bound by someone else before the
 * server binds it. The local provider starts the server again on another port when its log
 * says the port was taken, and only then; a real Redis, a real taken port.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { managedProcesses } from '../../harness/processes.js';
import { LocalServicesProvider } from '../../harness/services/local.js';

const ports = vi.hoisted(() => ({ taken: [] as number[] }));
vi.mock('../../harness/services/ports.js', async (original) => {
  const real = await original<typeof import('../../harness/services/ports.js')>();
  // Hands out the taken ports first, as if another process had just bound each.
  return { ...real, freePort: async () => ports.taken.shift() ?? real.freePort() };
});

const holders: Server[] = [];
async function takenPort(): Promise<number> {
  // Whatever connects to it (a readiness probe) is hung up on.
  const server = createServer((socket) => socket.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  holders.push(server);
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

afterEach(async () => {
  await Promise.all(holders.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  expect(managedProcesses()).toEqual([]);
});

describe('LocalServicesProvider on a port taken before the server binds it', () => {
  it('starts the server again on another port, and says so in its log', async () => {
    const taken = await takenPort();
    ports.taken = [taken];
    const dir = mkdtempSync(join(tmpdir(), 'faultline-port-race-'));
    const provider = new LocalServicesProvider();
    try {
      const endpoints = await provider.start(['redis'], { dir, persistence: false });
      expect(endpoints.redis!.port).not.toBe(taken);
      const log = readFileSync(join(dir, 'redis.log'), 'utf8');
      // Two starts in the log: the one that lost the port, and the one that runs.
      expect(log.match(/^--- faultline: start redis on /gm)).toHaveLength(2);
      expect(log).toContain(`start redis on 127.0.0.1:${taken}`);
      expect(log).toMatch(/address already in use/i);
    } finally {
      await provider.stop();
    }
  });

  it('gives up after three taken ports, naming the last log', async () => {
    ports.taken = [await takenPort(), await takenPort(), await takenPort()];
    const dir = mkdtempSync(join(tmpdir(), 'faultline-port-race-'));
    const provider = new LocalServicesProvider();
    await expect(provider.start(['redis'], { dir, persistence: false })).rejects.toThrow(
      /redis exited \(code 1, signal null\); see .*redis\.log/,
    );
    expect(ports.taken).toEqual([]);
    const log = readFileSync(join(dir, 'redis.log'), 'utf8');
    expect(log.match(/^--- faultline: start redis on /gm)).toHaveLength(3);
  });
});
