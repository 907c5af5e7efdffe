import type { AttemptEvent, HistoryEvent } from '../../core/history/events.js';
import type { RunPlan } from '../../scenarios/plan.js';

/**
 * Redone work: how much of a checkpointed step's work was done more than once,
 * because an attempt died (or failed) and the next one started before the point
 * the dead one had reached — from scratch where the strategy cannot resume, from
 * the last checkpoint it kept where it can.
 *
 * Purely from the history, as a streaming fold. An attempt of a checkpointed step
 * starts at its `attempt` event, which says where it resumed (`resumedFromMs`) and
 * how much work the step needs in all (`workMs`). It ends at its own `step-done`
 * (same run, step, worker and attempt) or, when its worker died, at that worker's
 * first `worker-exit` after it. In between it performed (end − start) of work beyond
 * its resume point, capped at what was left to do. Per (run, step):
 *
 *   redone = Σ over attempts of work performed − the work the step requires
 *
 * (never below 0: a step that never finished redid nothing, it lost work). Only
 * steps with `checkpoint` are counted; the cell's figure is the sum over runs.
 */

export interface RedoneWorkFold {
  add(event: HistoryEvent): void;
  /** Total redone work in ms and per interrupted step; null when the scenario has no checkpointed step. */
  result(): { totalMs: number; perStepMs: number[] } | null;
}

interface OpenAttempt {
  key: string;
  startAt: number;
  fromMs: number;
  workMs: number;
}

interface StepWork {
  performedMs: number;
  requiredMs: number;
  /** Attempts that did some of the work: more than one means the step was interrupted. */
  attempts: number;
}

const SEP = '\u0000';

export function createRedoneWorkFold(plan: RunPlan): RedoneWorkFold {
  const checkpointed = new Set(plan.checkpointedSteps);
  /** Fallback for histories whose attempts carry no workMs: a constant work time from the plan. */
  const plannedWork = new Map<string, number>();
  for (const id of checkpointed) {
    const work = plan.byId.get(id)!.spec.work;
    if (work.dist === 'constant') plannedWork.set(id, work.ms);
  }
  /** Open attempts by (run, step, worker, attempt); per worker, the keys it holds open. */
  const open = new Map<string, OpenAttempt>();
  const byWorker = new Map<string, Set<string>>();
  const steps = new Map<string, StepWork>();

  const close = (attempt: OpenAttempt, endAt: number) => {
    const left = Math.max(0, attempt.workMs - attempt.fromMs);
    const performed = Math.min(Math.max(0, endAt - attempt.startAt), left);
    let step = steps.get(attempt.key);
    if (step === undefined) {
      step = { performedMs: 0, requiredMs: attempt.workMs, attempts: 0 };
      steps.set(attempt.key, step);
    }
    step.attempts++;
    step.performedMs += performed;
    step.requiredMs = Math.max(step.requiredMs, attempt.workMs);
  };

  const onAttempt = (event: AttemptEvent) => {
    const workMs = event.workMs ?? plannedWork.get(event.stepId);
    if (workMs === undefined) return;
    const attemptKey = [event.runId, event.stepId, event.worker, event.attempt].join(SEP);
    open.set(attemptKey, {
      key: event.runId + SEP + event.stepId,
      startAt: event.t,
      fromMs: event.resumedFromMs ?? 0,
      workMs,
    });
    let held = byWorker.get(event.worker);
    if (held === undefined) {
      held = new Set();
      byWorker.set(event.worker, held);
    }
    held.add(attemptKey);
  };

  return {
    add(event) {
      if (checkpointed.size === 0) return;
      switch (event.type) {
        case 'attempt':
          if (checkpointed.has(event.stepId)) onAttempt(event);
          return;
        case 'step-done': {
          if (!checkpointed.has(event.stepId)) return;
          const attemptKey = [event.runId, event.stepId, event.worker, event.attempt].join(SEP);
          const attempt = open.get(attemptKey);
          if (attempt === undefined) return;
          open.delete(attemptKey);
          byWorker.get(event.worker)?.delete(attemptKey);
          close(attempt, event.t);
          return;
        }
        case 'worker-exit': {
          const held = byWorker.get(event.worker);
          if (held === undefined) return;
          for (const attemptKey of held) {
            const attempt = open.get(attemptKey);
            if (attempt === undefined) continue;
            open.delete(attemptKey);
            close(attempt, event.t);
          }
          held.clear();
          return;
        }
        default:
          return;
      }
    },
    result() {
      if (checkpointed.size === 0) return null;
      let total = 0;
      const perStepMs: number[] = [];
      for (const step of steps.values()) {
        const redone = Math.max(0, step.performedMs - step.requiredMs);
        total += redone;
        if (step.attempts > 1) perStepMs.push(Math.round(redone * 1000) / 1000);
      }
      return { totalMs: Math.round(total * 1000) / 1000, perStepMs };
    },
  };
}
