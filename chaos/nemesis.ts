import { setTimeout as sleep } from 'node:timers/promises';
import { now } from '../core/clock.js';
import { InfrastructureError } from '../core/errors.js';
import type { HistoryWriter } from '../core/history/writer.js';
import type { ServiceName } from '../core/services.js';
import type { CellFaults } from '../harness/runner/cell.js';
import type { Environment } from '../harness/runner/environment.js';
import type { Supervisor } from '../harness/supervisor/supervisor.js';
import {
  armFailpointFile,
  type ChaosFailpointSpec,
  disarmFailpoints,
  failpointSpecs,
  isArmed,
  unfiredFailpoints,
} from './failpoint.js';
import type { Injector } from './injector.js';
import { healLinks, type PartitionCounts } from './network.js';
import type { PlannedFault } from './schedule.js';
import { injectorFor, isNetworkFault, toxiproxyApi } from './targets.js';

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
  /** How long healAll waits for armed failpoints to fire (default 30 s). */
  failpointGraceMs?: number;
}

const FAILPOINT_GRACE_MS = 30_000;

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
  #workerIds: string[] = [];

  constructor(private readonly options: NemesisOptions) {
    this.failpoints = failpointSpecs(options.faults, options.markerDir);
  }

  start({ supervisor, startedAt }: { supervisor: Supervisor; startedAt: number }): void {
    this.#workerIds = supervisor.workerIds();
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
    await this.#awaitArmedFailpoints();
    disarmFailpoints(this.options.markerDir);
    // A failpoint that never fired leaves a clean-looking cell: say so.
    for (const what of unfiredFailpoints(this.failpoints, this.#workerIds))
      this.options.log(`  failpoint ${what} never fired: the load ended first`);
    this.#workerIds = [];
    // Belt and braces: every link enabled, every toxic gone, whatever happened above.
    if (this.#touchedNetwork)
      await healLinks(toxiproxyApi(this.options.env)).catch((e: Error) => this.#fail(e));
    const error = this.#error;
    this.#error = null;
    if (error) throw error;
  }

  /**
   * A failpoint is a trigger: once armed it waits for a worker to reach its point. On an
   * adapter whose runs lag behind the arrivals that may come only after the load, so wait
   * a bounded while: the crash still lands before the drain, which then measures recovery.
   */
  async #awaitArmedFailpoints(): Promise<void> {
    const armed = this.failpoints.filter(isArmed);
    const graceMs = this.options.failpointGraceMs ?? FAILPOINT_GRACE_MS;
    const deadline = now() + graceMs;
    let waiting = unfiredFailpoints(armed, this.#workerIds);
    if (waiting.length > 0)
      this.options.log(`  waiting up to ${graceMs} ms for failpoint ${waiting.join('; ')} to fire`);
    while (waiting.length > 0 && now() < deadline) {
      await sleep(100);
      waiting = unfiredFailpoints(armed, this.#workerIds);
    }
  }

  async #fire(fault: PlannedFault, supervisor: Supervisor): Promise<void> {
    if (this.#healing) return;
    if (fault.kind === 'failpoint') {
      // Armed now; each worker writes its own fault-start when it fires.
      const spec = this.failpoints.find((s) => s.faultId === fault.id);
      if (spec) armFailpointFile(spec);
      return;
    }
    const { cell, history } = this.options;
    let injector: Injector;
    try {
      if (isNetworkFault(fault.kind)) this.#touchedNetwork = true;
      injector = injectorFor(fault, {
        env: this.options.env,
        services: this.options.services,
        supervisor,
        partitions: this.#partitions,
      });
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
