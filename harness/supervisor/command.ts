import { delimiter, join } from 'node:path';
import type { WorkerCommand } from '../../core/topology.js';
import { pythonExecutable, REPO_ROOT } from '../tools.js';
import { nodeArgsFor } from './node.js';

/** Where the shared Python step runtime lives (scenarios/python): on every Python worker's path. */
export const PYTHON_RUNTIME_DIR = join(REPO_ROOT, 'scenarios', 'python');

/** An adapter's declared worker command as a program, its arguments and extra environment. */
export function commandLine(command: WorkerCommand): {
  program: string;
  args: string[];
  env: NodeJS.ProcessEnv;
} {
  switch (command.runtime) {
    case 'node':
      return {
        program: process.execPath,
        args: [...nodeArgsFor(command.entry), ...(command.args ?? [])],
        env: {},
      };
    case 'python': {
      const path = [...(command.pythonPath ?? []), PYTHON_RUNTIME_DIR, process.env.PYTHONPATH ?? '']
        .filter(Boolean)
        .join(delimiter);
      // Unbuffered: a worker's log shows its last lines even after a SIGKILL.
      return {
        program: pythonExecutable(),
        args: ['-m', command.module, ...(command.args ?? [])],
        env: { PYTHONPATH: path, PYTHONUNBUFFERED: '1' },
      };
    }
    case 'exec': {
      const [program, ...args] = command.argv;
      if (program === undefined) throw new Error('an exec worker command needs argv[0]');
      return { program, args, env: {} };
    }
  }
}
