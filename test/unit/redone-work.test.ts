import { describe, expect, it } from 'vitest';
import { analyzeHistory } from '../../analysis/analyze.js';
import { createRedoneWorkFold } from '../../analysis/metrics/redone-work.js';
import type { HistoryEvent } from '../../core/history/events.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';
import { HistoryBuilder } from './history-builder.js';

/** training-orchestration: train is 3000 ms of work, checkpointed every 500 ms. */
const plan = planRun(loadScenario('training-orchestration'));
const CELL = 'training-orchestration/test-adapter/worker-kill';
const WORK = 3000;

/** Hand-made events of one train step: attempts, their ends, worker exits. */
class Train {
  readonly events: HistoryEvent[] = [];

  attempt(at: number, opts: { worker?: string; attempt?: number; from?: number; runId?: string } = {}): this {
    const { worker = 'w1', attempt = 1, from = 0, runId = 'r1' } = opts;
    this.events.push({
      type: 'attempt',
      t: at,
      cell: CELL,
      runId,
      stepId: 'train',
      worker,
      attempt,
      resumedFromMs: from,
      workMs: WORK,
    });
    return this;
  }

  done(at: number, opts: { worker?: string; attempt?: number; ok?: boolean; runId?: string } = {}): this {
    const { worker = 'w1', attempt = 1, ok = true, runId = 'r1' } = opts;
    this.events.push({
      type: 'step-done',
      t: at,
      cell: CELL,
      runId,
      stepId: 'train',
      worker,
      attempt,
      outcome: ok ? 'ok' : 'transient-error',
    });
    return this;
  }

  exit(at: number, worker = 'w1'): this {
    this.events.push({
      type: 'worker-exit',
      t: at,
      cell: CELL,
      worker,
      pid: 1,
      signal: 'SIGKILL',
      code: null,
    });
    return this;
  }

  redone(): number | null {
    return this.fold()?.totalMs ?? null;
  }

  /** Redone work of each interrupted step. */
  perStep(): number[] | undefined {
    return this.fold()?.perStepMs;
  }

  private fold() {
    const fold = createRedoneWorkFold(plan);
    for (const event of [...this.events].sort((a, b) => a.t - b.t)) fold.add(event);
    return fold.result();
  }
}

describe('redone work (checkpointed steps), from the history alone', () => {
  it('is 0 for a step done in one attempt', () => {
    expect(new Train().attempt(0).done(3005).redone()).toBe(0);
    expect(new Train().attempt(0).done(3005).perStep()).toEqual([]); // not interrupted: no sample
  });

  it('kill at 1.2 s, checkpoint at 1.0 s, resumed: about 0.2 s redone', () => {
    const h = new Train()
      .attempt(0)
      .exit(1200)
      // The worker restarted; the orchestrator handed the checkpoint back.
      .attempt(3500, { attempt: 2, from: 1000 })
      .done(5510, { attempt: 2 });
    expect(h.redone()).toBeCloseTo(200, 6);
    // One interrupted step, with what it redid: the sample the report's interval rests on.
    expect(h.perStep()).toHaveLength(1);
    expect(h.perStep()![0]).toBeCloseTo(200, 6);
  });

  it('kill at 1.2 s, no resume: about 1.2 s redone', () => {
    const h = new Train()
      .attempt(0)
      .exit(1200)
      .attempt(3500, { attempt: 2, from: 0 })
      .done(6510, { attempt: 2 });
    expect(h.redone()).toBeCloseTo(1200, 6);
  });

  it('an attempt killed after its work was done performed no more than it had left', () => {
    const whole = new Train()
      .attempt(0)
      .done(2500, { ok: false })
      .attempt(2600, { attempt: 2, from: 2500 })
      .exit(3200)
      .attempt(4000, { attempt: 3, from: 2500 })
      .done(4505, { attempt: 3 });
    // Attempt 1 ends at its transient failure (2500 performed); attempt 2 did its last 500 ms
    // and died before step-done (700 ms capped at 500); attempt 3 did them again: 3500 - 3000.
    expect(whole.redone()).toBe(500);
  });

  it("ends an attempt at its own worker's first exit after it, not another worker's", () => {
    const h = new Train()
      .attempt(0, { worker: 'w1' })
      .exit(400, 'w2')
      .exit(1200, 'w1')
      .exit(2000, 'w1')
      .attempt(2500, { worker: 'w2', attempt: 2, from: 1000 })
      .done(4500, { worker: 'w2', attempt: 2 });
    expect(h.redone()).toBeCloseTo(200, 6);
  });

  it('sums over runs and leaves a step that never finished at 0 (work lost, not redone)', () => {
    const h = new Train()
      .attempt(0, { runId: 'r1' })
      .attempt(10, { runId: 'r2' })
      .exit(1300)
      .attempt(3000, { runId: 'r1', attempt: 2, from: 1000 })
      .done(5000, { runId: 'r1', attempt: 2 });
    expect(h.redone()).toBeCloseTo(300, 6);
  });

  it('is null for a scenario without a checkpointed step', () => {
    const fold = createRedoneWorkFold(planRun(loadScenario('rag-ingest')));
    expect(fold.result()).toBeNull();
  });

  it('is in every cell result: a number with checkpoints, null without', async () => {
    const training = new HistoryBuilder(plan, CELL).submit('r1', { at: 0 });
    const trainEvents = new Train()
      .attempt(100)
      .exit(1300)
      .attempt(3000, { attempt: 2, from: 1000 })
      .done(5000, { attempt: 2 }).events;
    const [cell] = await analyzeHistory(
      [...training.events, ...trainEvents].sort((a, b) => a.t - b.t),
      [training.cellMeta()],
    );
    expect(cell!.redoneWorkMs).toBeCloseTo(200, 6);
    const rag = new HistoryBuilder().run('r1', { at: 0 });
    const [ragCell] = await analyzeHistory(rag.events, [rag.cellMeta()]);
    expect(ragCell!.redoneWorkMs).toBeNull();
  });
});
