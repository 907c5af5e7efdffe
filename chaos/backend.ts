import type { ServiceName, ServicesProvider } from '../core/services.js';
import type { Injector } from './injector.js';
import type { PlannedFault } from './schedule.js';

/**
 * Backend faults: the services provider SIGKILLs the server (a crash), keeps it down
 * `downMs`, and starts it on the same port; with persistence off it comes back
 * empty. The fault lasts until the server answers again, so fault-end marks the
 * moment clients can reconnect (ioredis and the Temporal SDK do so by themselves).
 */
export function backendInjector(
  fault: PlannedFault,
  service: ServiceName,
  provider: ServicesProvider,
): Injector {
  const downMs = Number(fault.params.downMs ?? 1000);
  return {
    target: service,
    async inject() {
      await provider.restart(service, { downMs });
    },
  };
}
