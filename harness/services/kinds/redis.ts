import { Socket } from 'node:net';
import type { HostPort } from '../../../core/services.js';
import { findOnPath } from '../../tools.js';
import type { ServiceDefinition } from './types.js';

/** Redis (Debian's redis-server): BullMQ's and Celery's broker. */
export const redis: ServiceDefinition = {
  name: 'redis',
  binary: () => findOnPath('redis-server', 'redis-server'),
  async commandLine(port, { dataDir, persistence, host }) {
    const aof = persistence ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no'];
    // noeviction: a queue silently losing keys under memory pressure would look like lost runs.
    return {
      args: ['--port', String(port), '--bind', host, '--dir', dataDir, ...aof].concat([
        '--maxmemory-policy',
        'noeviction',
        '--save',
        '',
      ]),
    };
  },
  answers: async (endpoint) => (await redisCommand(endpoint, 'PING', 1000)) === '+PONG',
  probeIntervalMs: 50,
  external: { variable: 'FAULTLINE_REDIS_URL', defaultPort: 6379 },
};

/**
 * Sends one inline Redis command over a fresh socket and returns the first reply line
 * ("+PONG", or "-LOADING ..." while an AOF is replayed). Raw socket rather than ioredis:
 * ioredis would queue and retry, hiding exactly the "not yet" we are polling for.
 */
export function redisCommand(endpoint: HostPort, command: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let reply = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no reply within ${timeoutMs} ms`)));
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      const end = reply.indexOf('\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve(reply.slice(0, end));
      }
    });
    socket.once('close', () => reject(new Error('connection closed before a reply')));
    socket.connect(endpoint.port, endpoint.host, () => socket.write(`${command}\r\n`));
  });
}
