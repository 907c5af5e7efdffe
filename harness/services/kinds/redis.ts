import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { REDIS_CREDENTIALS, redisClientOptions } from '../../../core/credentials.js';
import type { ServiceEndpoint } from '../../../core/services.js';
import { findOnPath } from '../../tools.js';
import type { ServiceDefinition } from './types.js';

const LOOPBACK = '127.0.0.1';

/** Redis (Debian's redis-server): BullMQ's and Celery's broker. */
export const redis: ServiceDefinition = {
  name: 'redis',
  binary: () => findOnPath('redis-server', 'redis-server'),
  async commandLine(port, { dataDir, persistence, host }) {
    const aof = persistence ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no'];
    // In a container it binds 0.0.0.0 and clients come through Docker's port forwarding,
    // which protected mode would refuse; the port is published on 127.0.0.1 only.
    const protectedMode = host === LOOPBACK ? [] : ['--protected-mode', 'no'];
    // noeviction: a queue silently losing keys under memory pressure would look like lost runs.
    return {
      args: ['--port', String(port), '--bind', host, '--dir', dataDir, ...aof, ...protectedMode].concat([
        '--maxmemory-policy',
        'noeviction',
        '--save',
        '',
      ]),
    };
  },
  answers: async (endpoint) => (await redisCommand(endpoint, 'PING', 1000)) === '+PONG',
  probeIntervalMs: 50,
  external: {
    variable: 'FAULTLINE_REDIS_URL',
    defaultPort: 6379,
    secrets: [REDIS_CREDENTIALS.username, REDIS_CREDENTIALS.password, REDIS_CREDENTIALS.caFile],
  },
  container: {
    port: 6379,
    readyLog: /Ready to accept connections/,
    publicImage: { name: 'redis:7.0', command: ['redis-server'] },
  },
};

/**
 * Sends one Redis command over a fresh connection and returns the first line of its reply
 * ("+PONG", or "-LOADING ..." while an AOF is replayed); AUTH first and TLS when the
 * endpoint carries credentials. A raw socket rather than ioredis: ioredis would queue and
 * retry, hiding exactly the "not yet" we are polling for.
 */
export function redisCommand(endpoint: ServiceEndpoint, command: string, timeoutMs: number): Promise<string> {
  const client = redisClientOptions(endpoint);
  const commands: string[][] = [];
  if (client.password !== undefined) {
    commands.push(client.username ? ['AUTH', client.username, client.password] : ['AUTH', client.password]);
  }
  commands.push(command.split(' '));
  return new Promise((resolve, reject) => {
    const socket = client.tls
      ? tlsConnect({ host: client.host, port: client.port, ...client.tls })
      : tcpConnect({ host: client.host, port: client.port });
    const ready = client.tls ? 'secureConnect' : 'connect';
    let reply = '';
    let replies = 0;
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no reply within ${timeoutMs} ms`)));
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      for (let end = reply.indexOf('\r\n'); end >= 0; end = reply.indexOf('\r\n')) {
        const line = reply.slice(0, end);
        reply = reply.slice(end + 2);
        replies++;
        if (replies < commands.length) {
          // The AUTH reply: the secret is never quoted, only Redis's verdict.
          if (!line.startsWith('+')) {
            socket.destroy();
            reject(new Error(`AUTH refused (${REDIS_CREDENTIALS.password}): ${line}`));
            return;
          }
          continue;
        }
        socket.destroy();
        resolve(line);
        return;
      }
    });
    socket.once('close', () => reject(new Error('connection closed before a reply')));
    socket.once(ready, () => socket.write(commands.map(resp).join('')));
  });
}

/** A command as a RESP array: safe for any byte in an argument (a password with spaces). */
function resp(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}
