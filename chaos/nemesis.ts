import { setTimeout as sleep } from 'node:timers/promises';
import { now } from '../core/clock.js';
import { InfrastructureError } from '../core/errors.js';
import type { FaultUnfiredEvent } from '../core/history/events.js';
import type { HistoryWriter } from '../core/history/writer.js';
import type { FailpointSpec } from '../scenarios/failpoints.js';
import {
  disarmFailpoints,
  isArmed,
  prepareMarkerDir,
  stepWorkerIds,
  unfiredFailpoints,
} from './failpoint.js';
import type { Injector, PlannedFault } from './kind.js';
import { healLinks } from './network.js';
import type { ChaosCell } from './ports.js';
import { faultKind } from './registry.js';

export interface NemesisOptions {
  faults: readonly PlannedFault[];
  history: HistoryWriter;
  log: (line: string) => void;
  /** How long healAll waits for armed failpoints to fire and busy kills to find work (default 30 s). */
  graceMs?: number;
}

/** What the runner plugs into a cell: started with the load, healed before the drain. */
export interface CellFaults {
  /** The faults of the cell, planned from the seed. */
  readonly planned: readonly PlannedFault[];
  /** Armed in every worker of the cell (they crash themselves at a named point). */
  failpoints(chaosDir: string): FailpointSpec[];
  start(cell: ChaosCell, startedAt: number): void;
  healAll(): Promise<void>;
}

const GRACE_MS = 30_000;

/**
 * Runs a cell's planned faults against the live cell (Jepsen's nemesis): each at its
 * moment after the load starts, fault-start / fault-end in the harness's history, healed
 * after its duration — and everything healed in `healAll`, which the runner calls before
 * the drain and again in `finally`, so a cell that ends early is healed too. What never
 * happened is written down as well (fault-unfired), so a clean-looking cell says why.
 */
export class Nemesis implements CellFaults {
  readonly planned: readonly PlannedFault[];
  readonly #timers = new Map<NodeJS.Timeout, PlannedFault | null>();
  readonly #active = new Map<string, { fault: PlannedFault; injector: Injector }>();
  readonly #inProgress = new Set<Promise<void>>();
  #failpoints: FailpointSpec[] = [];
  #cell: ChaosCell | null = null;
  #healing = false;
  /** Aborted by healAll: faults still waiting for their moment (a kill for a busy worker) give up. */
  readonly #stop = new AbortController();
  #firedAny = false;
  #error: Error | null = null;
  /** Faults whose moment came and that wait for their target to be ready (a kill for a busy worker). */
  #waitingForTarget = 0;

  constructor(private readonly options: NemesisOptions) {
    this.planned = options.faults;
  }

  failpoints(chaosDir: string): FailpointSpec[] {
    this.#failpoints = this.planned.flatMap((fault) => {
      const arming = faultKind(fault.kind).workerFailpoint?.(fault, chaosDir);
      return arming ? [arming] : [];
    });
    if (this.#failpoints.length > 0) prepareMarkerDir(chaosDir);
    return this.#failpoints;
  }

  start(cell: ChaosCell, startedAt: number): void {
    this.#cell = cell;
    for (const fault of this.planned) {
      if (fault.atMs === null || this.#healing) continue;
      const timer = setTimeout(
        () => {
          this.#timers.delete(timer);
          this.#track(this.#fire(fault, cell));
        },
        Math.max(0, startedAt + fault.atMs - now()),
      );
      this.#timers.set(timer, fault);
    }
  }

  async healAll(): Promise<void> {
    this.#healing = true;
    await this.#settleWaitingFaults();
    this.#stop.abort();
    const cell = this.#cell;
    for (const [timer, fault] of this.#timers) {
      clearTimeout(timer);
      if (fault && cell) this.#unfired(cell, fault.id, fault.kind, 'load-ended');
    }
    this.#timers.clear();
    // A fault being injected (a backend still restarting) finishes first: half a fault cannot be healed.
    while (this.#inProgress.size > 0) await Promise.allSettled([...this.#inProgress]);
    await Promise.all([...this.#active.keys()].map((id) => this.#heal(id)));
    if (cell) await this.#settleFailpoints(cell);
    // Belt and braces: every link enabled, every toxic gone, whatever happened above.
    if (this.#firedAny && cell?.toxiproxy) await healLinks(cell.toxiproxy).catch((e: Error) => this.#fail(e));
    this.#cell = null;
    const error = this.#error;
    this.#error = null;
    if (error) throw error;
  }

  /**
   * A busy kill whose moment came while the workers were idle may find work after the load:
   * runs lag behind the arrivals on a loaded machine, and a short load may end before the
   * first step starts. Give it the same bounded while as a failpoint, so the kill still lands
   * before the drain, which then measures recovery; past it, it is recorded as unfired.
   */
  async #settleWaitingFaults(): Promise<void> {
    if (this.#waitingForTarget === 0) return;
    const graceMs = this.options.graceMs ?? GRACE_MS;
    this.options.log(
      `  waiting up to ${graceMs} ms for ${this.#waitingForTarget} fault(s) to find a busy target`,
    );
    const deadline = now() + graceMs;
    while (this.#waitingForTarget > 0 && now() < deadline) await sleep(50);
  }

  /**
   * A failpoint is a trigger: once armed it waits for a worker to reach its point. On an
   * adapter whose runs lag behind the arrivals that may come only after the load, so wait
   * a bounded while: the crash still lands before the drain, which then measures recovery.
   * Then disarm them all, and record those some worker never reached.
   */
  async #settleFailpoints(cell: ChaosCell): Promise<void> {
    if (this.#failpoints.length === 0) return;
    const workerIds = stepWorkerIds(cell);
    const armed = this.#failpoints.filter(isArmed);
    const graceMs = this.options.graceMs ?? GRACE_MS;
    const deadline = now() + graceMs;
    let waiting = unfiredFailpoints(armed, workerIds);
    if (waiting.length > 0) {
      const what = waiting.map((w) => `${w.faultId} (${w.spec.point} ${w.spec.stepId})`).join('; ');
      this.options.log(`  waiting up to ${graceMs} ms for failpoint ${what} to fire`);
    }
    while (waiting.length > 0 && now() < deadline) {
      await sleep(100);
      waiting = unfiredFailpoints(armed, workerIds);
    }
    disarmFailpoints(cell.chaosDir);
    for (const { faultId, spec, workers } of unfiredFailpoints(this.#failpoints, workerIds)) {
      this.options.log(
        `  failpoint ${faultId} (${spec.point} ${spec.stepId}) never fired in ${workers.join(', ')}`,
      );
      this.#unfired(cell, faultId, 'failpoint', 'not-reached', workers);
    }
  }

  #unfired(
    cell: ChaosCell,
    faultId: string,
    fault: string,
    reason: FaultUnfiredEvent['reason'],
    workers?: string[],
  ): void {
    if (reason === 'load-ended')
      this.options.log(`  fault ${faultId} (${fault}) never started: the load ended first`);
    if (reason === 'idle-workers')
      this.options.log(`  fault ${faultId} (${fault}) never found a worker with steps in flight`);
    this.options.history.append({
      type: 'fault-unfired',
      cell: cell.cell,
      faultId,
      fault,
      reason,
      ...(workers ? { workers } : {}),
    });
  }

  async #fire(fault: PlannedFault, cell: ChaosCell): Promise<void> {
    if (this.#healing) return;
    const { history } = this.options;
    let injector: Injector;
    try {
      injector = faultKind(fault.kind).injector(fault, cell);
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    if (injector.ready) {
      this.#waitingForTarget++;
      const ready = await injector.ready(this.#stop.signal).finally(() => this.#waitingForTarget--);
      if (!ready) {
        this.#unfired(cell, fault.id, fault.kind, 'idle-workers');
        return;
      }
    }
    this.#firedAny = true;
    if (!injector.recordedByWorkers) {
      history.append({
        type: 'fault-start',
        cell: cell.cell,
        faultId: fault.id,
        fault: fault.kind,
        target: injector.target,
        params: injector.params ? { ...fault.params, ...injector.params } : fault.params,
        ...(injector.killed?.length ? { killed: injector.killed } : {}),
        ...(injector.pids?.length ? { pids: injector.pids } : {}),
        ...(injector.inFlight ? { inFlight: injector.inFlight } : {}),
      });
    }
    try {
      await injector.inject();
    } catch (error) {
      this.#fail(error as Error);
      this.#end(cell, fault, injector);
      return;
    }
    if (injector.instant) return;
    if (!injector.heal) {
      this.#end(cell, fault, injector);
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
    const cell = this.#cell;
    if (!entry || !cell) return;
    this.#active.delete(id);
    try {
      await entry.injector.heal?.();
    } catch (error) {
      this.#fail(error as Error);
    }
    this.#end(cell, entry.fault, entry.injector);
  }

  #end(cell: ChaosCell, fault: PlannedFault, injector: Injector): void {
    if (injector.recordedByWorkers) return;
    this.options.history.append({
      type: 'fault-end',
      cell: cell.cell,
      faultId: fault.id,
      fault: fault.kind,
      target: injector.target,
    });
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
