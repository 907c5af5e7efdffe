import { InfrastructureError } from '../harness/config/errors.js';
import { now } from '../harness/history/clock.js';
import type { HistoryWriter } from '../harness/history/writer.js';
import type { CellFaults } from '../harness/runner/cell.js';
import type { Environment } from '../harness/runner/environment.js';
import { resetAll } from '../harness/services/toxiproxy.js';
import type { ServiceName } from '../harness/services/types.js';
import type { Supervisor } from '../harness/supervisor/supervisor.js';
import { backendInjector } from './backend.js';
import { type ChaosFailpointSpec, disarmFailpoints, failpointSpecs } from './failpoint.js';
import type { Injector } from './injector.js';
import { type PartitionCounts, partitionInjector, toxicInjector } from './network.js';
import { killInjector } from './process.js';
import type { PlannedFault } from './schedule.js';
import { isToxic } from './spec.js';
import { worldInjector } from './world.js';

export interface NemesisOptions {
  cell: string;
  faults: readonly PlannedFault[];
  env: Environment;
  history: HistoryWriter;
  /** The adapter's services: what `orchestrator` and `backend` mean for this cell. */
  services: readonly ServiceName[];
  /** The cell's chaos folder (failpoint markers). */
  markerDir: string;
  log: (line: string) => void;
}

/**
 * Runs a cell's planned faults against the live cell (Jepsen's nemesis): each at
 * its moment after the load starts, fault-start / fault-end in the harness's
 * history, healed after its duration — and everything healed in `healAll`, which
 * the runner calls before the drain and again in `finally`, so a cell that ends
 * early is healed too.
 */
export class Nemesis implements CellFaults {
  readonly failpoints: ChaosFailpointSpec[];
  readonly #timers = new Map<NodeJS.Timeout, PlannedFault | null>();
  readonly #active = new Map<string, { fault: PlannedFault; injector: Injector }>();
  readonly #inProgress = new Set<Promise<void>>();
  readonly #partitions: PartitionCounts = new Map();
  #healing = false;
  #touchedNetwork = false;
  #error: Error | null = null;

  constructor(private readonly options: NemesisOptions) {
    this.failpoints = failpointSpecs(options.faults, options.markerDir);
  }

  start({ supervisor, startedAt }: { supervisor: Supervisor; startedAt: number }): void {
    for (const fault of this.options.faults) {
      if (fault.atMs === null || this.#healing) continue;
      const timer = setTimeout(
        () => {
          this.#timers.delete(timer);
          this.#track(this.#fire(fault, supervisor));
        },
        Math.max(0, startedAt + fault.atMs - now()),
      );
      this.#timers.set(timer, fault);
    }
  }

  async healAll(): Promise<void> {
    this.#healing = true;
    for (const [timer, fault] of this.#timers) {
      clearTimeout(timer);
      if (fault)
        this.options.log(
          `  fault ${fault.id} (${fault.kind} at ${fault.atMs} ms) never started: the load ended first`,
        );
    }
    this.#timers.clear();
    // A fault being injected (a backend still restarting) finishes first: half a fault cannot be healed.
    while (this.#inProgress.size > 0) await Promise.allSettled([...this.#inProgress]);
    await Promise.all([...this.#active.keys()].map((id) => this.#heal(id)));
    disarmFailpoints(this.options.markerDir);
    // Belt and braces: every link enabled, every toxic gone, whatever happened above.
    if (this.#touchedNetwork) await resetAll(this.#api()).catch((e: Error) => this.#fail(e));
    const error = this.#error;
    this.#error = null;
    if (error) throw error;
  }

  async #fire(fault: PlannedFault, supervisor: Supervisor): Promise<void> {
    if (this.#healing) return;
    const { cell, history } = this.options;
    let injector: Injector;
    try {
      injector = this.#injectorFor(fault, supervisor);
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    history.append({
      type: 'fault-start',
      cell,
      faultId: fault.id,
      fault: fault.kind,
      target: injector.target,
      params: fault.params,
    });
    try {
      await injector.inject();
    } catch (error) {
      this.#fail(error as Error);
      this.#end(fault, injector.target);
      return;
    }
    if (injector.instant) return;
    if (!injector.heal) {
      this.#end(fault, injector.target);
      return;
    }
    this.#active.set(fault.id, { fault, injector });
    if (this.#healing) return; // healAll waits for this injection, then heals it
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#track(this.#heal(fault.id));
    }, fault.durationMs ?? 0);
    this.#timers.set(timer, null);
  }

  async #heal(id: string): Promise<void> {
    const entry = this.#active.get(id);
    if (!entry) return;
    this.#active.delete(id);
    try {
      await entry.injector.heal?.();
    } catch (error) {
      this.#fail(error as Error);
    }
    this.#end(entry.fault, entry.injector.target);
  }

  #end(fault: PlannedFault, target: string): void {
    const { cell, history } = this.options;
    history.append({ type: 'fault-end', cell, faultId: fault.id, fault: fault.kind, target });
  }

  #injectorFor(fault: PlannedFault, supervisor: Supervisor): Injector {
    const { env, services } = this.options;
    if (fault.kind === 'kill') return killInjector(fault, supervisor);
    if (fault.kind === 'backend-restart')
      return backendInjector(fault, resolveBackend(fault.target, services), env.provider);
    if (fault.kind === 'model-errors' || fault.kind === 'model-latency')
      return worldInjector(fault, env.world);
    if (fault.kind === 'partition' || isToxic(fault.kind)) {
      this.#touchedNetwork = true;
      const link = resolveLink(fault.target, services);
      return fault.kind === 'partition'
        ? partitionInjector(this.#api(), link, this.#partitions)
        : toxicInjector(this.#api(), link, fault);
    }
    throw new InfrastructureError(`fault ${fault.id}: ${fault.kind} is not injected by the nemesis`);
  }

  #api() {
    const api = this.options.env.services.toxiproxy;
    if (!api) throw new InfrastructureError('network faults need Toxiproxy, which was not started');
    return api;
  }

  #track(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((error: Error) => this.#fail(error))
      .finally(() => this.#inProgress.delete(tracked));
    this.#inProgress.add(tracked);
  }

  #fail(error: Error): void {
    this.options.log(`  chaos: ${error.message}`);
    this.#error ??= error instanceof InfrastructureError ? error : new InfrastructureError(error.message);
  }
}

/** `orchestrator`: the link to the adapter's own backend (BullMQ → broker, Temporal → server). */
export function resolveLink(target: string, services: readonly ServiceName[]): string {
  if (target !== 'orchestrator') return target;
  return services.includes('redis') ? 'broker' : 'server';
}

export function resolveBackend(target: string, services: readonly ServiceName[]): ServiceName {
  if (target !== 'backend') return target as ServiceName;
  return services.includes('redis') ? 'redis' : 'temporal';
}
