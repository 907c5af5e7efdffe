import type { CellMeta } from '../../analysis/analyze.js';
import type { HistoryEvent, NewEvent, StepDoneEvent } from '../../core/history/events.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun, type RunPlan } from '../../scenarios/plan.js';

/**
 * Hand-made histories that read like what happened:
 *
 *   h.submit('r1', { at: 0 }).attempt('r1', 'ingest').stepDone('r1', 'ingest')…
 *
 * Every event without `at` happens 1 ms after the previous one written; `at`
 * moves the clock there. `events` returns them in time order (stable), so a test
 * may write one run after another even when their times interleave.
 */

export const ragIngestPlan = (): RunPlan => planRun(loadScenario('rag-ingest'));

interface At {
  at?: number;
}

export class HistoryBuilder {
  private clock = 0;
  private readonly written: HistoryEvent[] = [];

  constructor(
    readonly plan: RunPlan = ragIngestPlan(),
    readonly cell = `${plan.scenario}/test-adapter/none`,
  ) {}

  get events(): HistoryEvent[] {
    return [...this.written].sort((a, b) => a.t - b.t);
  }

  /** The meta analyzeHistory needs for this builder's cell. */
  cellMeta(extra: Partial<CellMeta> = {}): CellMeta {
    const [scenario, adapter, fault] = this.cell.split('/') as [string, string, string];
    return { id: this.cell, scenario, adapter, fault, knobs: {}, plan: this.plan, ...extra };
  }

  submit(runId: string, opts: At & { intendedAt?: number; warmup?: boolean } = {}): this {
    const t = this.tick(opts.at);
    const event: NewEvent = { type: 'submit', cell: this.cell, runId, intendedAt: opts.intendedAt ?? t };
    if (opts.warmup) event.warmup = true;
    return this.push(event, t);
  }

  attempt(
    runId: string,
    stepId: string,
    opts: At & { attempt?: number; worker?: string; pid?: number } = {},
  ): this {
    const { attempt = 1, worker = 'w1', pid } = opts;
    return this.push(
      {
        type: 'attempt',
        cell: this.cell,
        runId,
        stepId,
        worker,
        attempt,
        ...(pid === undefined ? {} : { pid }),
      },
      this.tick(opts.at),
    );
  }

  effect(
    runId: string,
    stepId: string,
    opts: At & { deduplicated?: boolean; key?: string | null } = {},
  ): this {
    const { deduplicated = false, key = `${runId}:${stepId}` } = opts;
    return this.push(
      { type: 'effect', cell: this.cell, runId, stepId, key, deduplicated },
      this.tick(opts.at),
    );
  }

  compensate(runId: string, stepId: string, opts: At & { deduplicated?: boolean } = {}): this {
    const { deduplicated = false } = opts;
    const key = `${runId}:${stepId}:undo`;
    return this.push(
      { type: 'compensate', cell: this.cell, runId, stepId, key, deduplicated },
      this.tick(opts.at),
    );
  }

  stepDone(
    runId: string,
    stepId: string,
    opts: At & { outcome?: StepDoneEvent['outcome']; worker?: string } = {},
  ): this {
    const { outcome = 'ok', worker = 'w1' } = opts;
    const event: NewEvent = {
      type: 'step-done',
      cell: this.cell,
      runId,
      stepId,
      worker,
      attempt: 1,
      outcome,
    };
    return this.push(event, this.tick(opts.at));
  }

  /** A timer's firing as the step runtime writes it: attempt, timer-fired, step-done ok. */
  timerFired(runId: string, stepId: string, opts: At & { intendedAt?: number; attempt?: number } = {}): this {
    const { attempt = 1, worker = 'w1' } = { ...opts, worker: 'w1' };
    const t = this.tick(opts.at);
    const base = { cell: this.cell, runId, stepId, worker, attempt };
    this.push({ type: 'attempt', ...base }, t);
    this.push({ type: 'timer-fired', ...base, intendedAt: opts.intendedAt ?? t }, t);
    return this.push({ type: 'step-done', ...base, outcome: 'ok' }, t);
  }

  runDone(runId: string, status: 'completed' | 'failed' = 'completed', opts: At = {}): this {
    return this.push({ type: 'run-done', cell: this.cell, runId, status }, this.tick(opts.at));
  }

  /** A fault's start; `killed` names the workers whose steps in flight died with it (kills, failpoints). */
  faultStart(
    faultId: string,
    opts: At & { fault?: string; target?: string; killed?: string[]; pids?: number[] } = {},
  ): this {
    const { fault = 'worker-kill', target = 'worker-1', killed, pids } = opts;
    const event = {
      type: 'fault-start',
      cell: this.cell,
      faultId,
      fault,
      target,
      ...(killed ? { killed } : {}),
      ...(pids ? { pids } : {}),
    } as const;
    return this.push(event, this.tick(opts.at));
  }

  workerExit(worker: string, opts: At & { signal?: string } = {}): this {
    const { signal = 'SIGKILL' } = opts;
    const event: NewEvent = { type: 'worker-exit', cell: this.cell, worker, pid: 1, signal, code: null };
    return this.push(event, this.tick(opts.at));
  }

  faultEnd(faultId: string, opts: At & { fault?: string; target?: string } = {}): this {
    const { fault = 'worker-kill', target = 'worker-1' } = opts;
    return this.push({ type: 'fault-end', cell: this.cell, faultId, fault, target }, this.tick(opts.at));
  }

  /** Any other event (cell-start, worker-usage…), at `at` or 1 ms after the previous one. */
  event(event: NewEvent, opts: At = {}): this {
    return this.push(event, this.tick(opts.at));
  }

  /** One clean execution of a step: attempt, its effect when the plan says it has one, step-done ok. */
  step(runId: string, stepId: string, opts: At = {}): this {
    this.attempt(runId, stepId, opts);
    if (this.plan.byId.get(stepId)?.spec.effect !== undefined) this.effect(runId, stepId);
    return this.stepDone(runId, stepId);
  }

  /** Every step of the plan in order, 1 ms per event, starting at `at` (or now). */
  steps(runId: string, opts: At & { except?: string[] } = {}): this {
    let at = opts.at;
    for (const instance of this.plan.instances) {
      if (opts.except?.includes(instance.id)) continue;
      this.step(runId, instance.id, { at });
      at = undefined;
    }
    return this;
  }

  /**
   * A whole clean run: submit at `at`, its steps from `startAt` (default right
   * after), run-done completed 1 ms after the last step. With the rag-ingest plan
   * that is 20 step events, so run-done comes at startAt + 20.
   */
  run(runId: string, opts: At & { intendedAt?: number; warmup?: boolean; startAt?: number } = {}): this {
    this.submit(runId, opts);
    this.steps(runId, { at: opts.startAt });
    return this.runDone(runId);
  }

  private tick(at: number | undefined): number {
    this.clock = at ?? this.clock + 1;
    return this.clock;
  }

  private push(event: NewEvent, t: number): this {
    this.written.push({ ...event, t } as HistoryEvent);
    return this;
  }
}
