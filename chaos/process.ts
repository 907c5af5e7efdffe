import type { Supervisor } from '../harness/supervisor/supervisor.js';
import type { Injector } from './injector.js';
import type { PlannedFault } from './schedule.js';

/**
 * Process faults: SIGKILL (a crash) or SIGTERM (a graceful stop) to worker slots.
 * Nothing to heal: the supervisor restarts dead workers after its delay, as a
 * container orchestrator would, and writes worker-exit / worker-start.
 */
export function killInjector(fault: PlannedFault, supervisor: Supervisor): Injector {
  const ids = supervisor.workerIds();
  const targets = (fault.workers ?? []).map((slot) => ids[slot - 1]).filter((id): id is string => !!id);
  const signal = (fault.params.signal as NodeJS.Signals | undefined) ?? 'SIGKILL';
  return {
    target: targets.join(','),
    instant: true,
    async inject() {
      supervisor.kill(signal, targets);
    },
  };
}
