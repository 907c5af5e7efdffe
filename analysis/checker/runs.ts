import type { HistoryEvent } from '../../core/history/events.js';
import type { RunPlan } from '../../scenarios/plan.js';

/**
 * Per-run state folded from the history, one small record per run and never the
 * events themselves: this is what lets a million-event history be checked in
 * bounded memory. Checks that depend on event order look at a run's state just
 * before `RunTable.apply` folds the event in.
 */

/** Slots kept per step instance, packed into one Float64Array per run (compact, no per-step objects). */
export const Slot = {
  /** Number of `attempt` events. */
  attempts: 0,
  firstAttemptAt: 1,
  lastAttemptAt: 2,
  /** Time of the first `step-done` with outcome ok; NaN until then. */
  okAt: 3,
  /** Number of applied (deduplicated=false) `effect` events. */
  applied: 4,
  /** Time of the first applied effect; NaN until then. */
  effectAt: 5,
  /** Number of applied (deduplicated=false) `compensate` events. */
  compensated: 6,
} as const;
const SLOTS = 7;
const COUNT_SLOTS = [Slot.attempts, Slot.applied, Slot.compensated];

export interface RunState {
  runId: string;
  /** `submit.t`; NaN while no submit was seen (a worker may log before the harness does). */
  submittedAt: number;
  /** `submit.intendedAt`, from the arrival schedule; NaN without a submit. */
  intendedAt: number;
  warmup: boolean;
  /** Time and status of the first `run-done`; later ones never overwrite it. */
  doneAt: number;
  status: 'completed' | 'failed' | undefined;
  /** Effect time of the last compensated effect: saga compensations must go backwards from here. */
  lastCompensatedEffectAt: number;
  steps: Float64Array;
}

/** The events that concern one step instance of one run. */
export type StepEvent = Extract<HistoryEvent, { stepId: string }>;

export function isSubmitted(run: RunState): boolean {
  return !Number.isNaN(run.submittedAt);
}

export class RunTable {
  readonly runs = new Map<string, RunState>();
  private readonly stepIndex: Map<string, number>;
  private last: RunState | undefined;

  constructor(readonly plan: RunPlan) {
    this.stepIndex = new Map(plan.instances.map((inst, i) => [inst.id, i]));
  }

  /** Index of a step instance in `plan.instances`, or -1 for a step id the plan does not know. */
  indexOf(stepId: string): number {
    return this.stepIndex.get(stepId) ?? -1;
  }

  get(runId: string): RunState | undefined {
    return this.runs.get(runId);
  }

  getOrCreate(runId: string): RunState {
    // Every event is looked up twice in a row (checks, then apply): remember the last one.
    if (this.last?.runId === runId) return this.last;
    let run = this.runs.get(runId);
    if (run === undefined) {
      const steps = new Float64Array(this.plan.instances.length * SLOTS).fill(Number.NaN);
      for (let i = 0; i < this.plan.instances.length; i++) {
        for (const slot of COUNT_SLOTS) steps[i * SLOTS + slot] = 0;
      }
      run = {
        runId,
        submittedAt: Number.NaN,
        intendedAt: Number.NaN,
        warmup: false,
        doneAt: Number.NaN,
        status: undefined,
        lastCompensatedEffectAt: Number.POSITIVE_INFINITY,
        steps,
      };
      this.runs.set(runId, run);
    }
    this.last = run;
    return run;
  }

  static read(run: RunState, step: number, slot: number): number {
    return run.steps[step * SLOTS + slot]!;
  }

  private static write(run: RunState, step: number, slot: number, value: number): void {
    run.steps[step * SLOTS + slot] = value;
  }

  private static increment(run: RunState, step: number, slot: number): void {
    run.steps[step * SLOTS + slot]! += 1;
  }

  private static setOnce(run: RunState, step: number, slot: number, t: number): void {
    if (Number.isNaN(RunTable.read(run, step, slot))) RunTable.write(run, step, slot, t);
  }

  /** Folds one event into its run's state. Events without a run, or with an unknown step, change nothing per step. */
  apply(event: HistoryEvent): void {
    switch (event.type) {
      case 'submit': {
        const run = this.getOrCreate(event.runId);
        if (isSubmitted(run)) return; // a repeated submit does not move the schedule
        run.submittedAt = event.t;
        run.intendedAt = event.intendedAt;
        run.warmup = event.warmup === true;
        return;
      }
      case 'run-done': {
        const run = this.getOrCreate(event.runId);
        if (run.status !== undefined) return;
        run.status = event.status;
        run.doneAt = event.t;
        return;
      }
      case 'attempt':
      case 'effect':
      case 'compensate':
      case 'step-done':
        this.applyStepEvent(event);
        return;
      default:
        return;
    }
  }

  private applyStepEvent(event: StepEvent): void {
    const run = this.getOrCreate(event.runId);
    const step = this.indexOf(event.stepId);
    if (step < 0) return;
    switch (event.type) {
      case 'attempt':
        RunTable.increment(run, step, Slot.attempts);
        RunTable.setOnce(run, step, Slot.firstAttemptAt, event.t);
        RunTable.write(run, step, Slot.lastAttemptAt, event.t);
        return;
      case 'effect':
        if (event.deduplicated) return;
        RunTable.increment(run, step, Slot.applied);
        RunTable.setOnce(run, step, Slot.effectAt, event.t);
        return;
      case 'compensate': {
        if (event.deduplicated) return;
        RunTable.increment(run, step, Slot.compensated);
        const effectAt = RunTable.read(run, step, Slot.effectAt);
        if (!Number.isNaN(effectAt)) run.lastCompensatedEffectAt = effectAt;
        return;
      }
      case 'step-done':
        if (event.outcome === 'ok') RunTable.setOnce(run, step, Slot.okAt, event.t);
        return;
    }
  }
}
