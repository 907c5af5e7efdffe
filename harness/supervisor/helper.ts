import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { HelperProcess } from '../../adapters/types.js';
import type { WorkerCommand } from '../../core/topology.js';
import { spawnManaged, stopManaged } from '../processes.js';
import { commandLine } from './command.js';

/**
 * An adapter's helper process (DriverContext.startHelper): started from a command line like
 * a worker (same runtimes, same Python environment), but spoken to over its stdin and
 * stdout, in the harness's process group, never a chaos target. Its stderr goes to
 * `logs/<name>.log`. Managed like every child: gone when the harness exits.
 */
export function startHelper(runDir: string, name: string, command: WorkerCommand): HelperProcess {
  const { program, args, env } = commandLine(command);
  const proc = spawnManaged(`helper ${name}`, program, args, {
    env: { ...process.env, ...env },
    logFile: join(runDir, 'logs', `${name}.log`),
    stdinPipe: true,
    stdoutPipe: true,
  });
  const { stdin, stdout } = proc.child;
  if (!stdin || !stdout) throw new Error(`helper ${name} started without pipes`);
  // Unlike a worker's, this stdin carries the driver's requests: it must not be unref'd
  // away from writes, only kept from failing the harness when the helper is gone.
  stdin.on('error', () => {});
  const lines = createInterface({ input: stdout });
  const exited = proc.exited.then(({ code, signal }) => ({ code, signal }));
  return {
    pid: proc.pid,
    send(line) {
      if (!stdin.destroyed) stdin.write(`${line}\n`);
    },
    onLine(listener) {
      lines.on('line', listener);
    },
    exited,
    async stop(graceMs = 5000) {
      stdin.end();
      const closed = await Promise.race([
        proc.exited.then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), graceMs).unref()),
      ]);
      if (!closed) await stopManaged(proc, graceMs);
      lines.close();
    },
  };
}
