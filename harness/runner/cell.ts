import { setTimeout as sleep } from 'node:timers/promises';
import type { AdapterDefinition, AdapterDriver } from '../../adapters/types.js';
import { now } from '../../core/clock.js';
import type { HistoryWriter } from '../../core/history/writer.js';
import type { FailpointSpec } from '../../scenarios/failpoints.js';
import type { Scenario } from '../../scenarios/model.js';
import type { RunPlan } from '../../scenarios/plan.js';
import type { Experiment } from '../config/experiment.js';
import { Supervisor } from '../supervisor/supervisor.js';
import type { Arrival } from './arrivals.js';
import type { Environment } from './environment.js';

/** Hooks the chaos layer plugs into a cell: started with the load, healed before the drain. */
export interface CellFaults {
  start(context: { supervisor: Supervisor; startedAt: number }): void;
  healAll(): Promise<void>;
  /** Armed in every worker of the cell (they crash themselves at a named point). */
  failpoints?: FailpointSpec[];
}

export interface CellSpec {
  id: string;
  scenario: Scenario;
  plan: RunPlan;
  // biome-ignore lint/suspicious/noExplicitAny: the knobs' type belongs to the adapter
  adapter: AdapterDefinition<any>;
  knobs: unknown;
  prepared: unknown;
  faults: CellFaults;
  /** Overrides the experiment's drain, for faults whose recovery takes longer (chaos). */
  drainTimeoutMs?: number;
}

export interface CellRunOptions {
  experiment: Experiment;
  arrivals: Arrival[];
  env: Environment;
  history: HistoryWriter;
  runDir: string;
  log: (line: string) => void;
}

export interface CellRunSummary {
  submitErrors: number;
  undone: number;
}

/**
 * One cell: workers up, open-loop submissions on the shared schedule, faults
 * alongside, every fault healed, then drain until every run is done or the drain
 * timeout passes. Everything it observes goes to the history; it computes nothing.
 */
export async function runCell(cell: CellSpec, options: CellRunOptions): Promise<CellRunSummary> {
  const { experiment, env, history, runDir, arrivals, log } = options;
  const driver: AdapterDriver = cell.adapter.createDriver({
    cell: cell.id,
    scenario: cell.scenario,
    plan: cell.plan,
    knobs: cell.knobs,
    services: env.services,
    runDir,
    prepared: cell.prepared,
  });
  const pending = new Set<string>();
  let drained: (() => void) | null = null;
  driver.observe((outcome) => {
    history.append({ type: 'run-done', cell: cell.id, ...outcome });
    pending.delete(outcome.runId);
    if (pending.size === 0) drained?.();
  });
  env.world.onApprovalDecision((message) => {
    if (message.cell !== cell.id) return;
    driver
      .signal(message.runId, message.stepId, { approved: message.approved, by: 'world-approver' })
      .catch((e) => {
        log(`  signal to ${message.runId} failed: ${(e as Error).message}`);
      });
  });

  const supervisor = new Supervisor({
    count: experiment.load.workers,
    config: {
      cell: cell.id,
      adapter: cell.adapter.name,
      scenario: cell.scenario,
      knobs: cell.knobs as Record<string, unknown>,
      endpoints: env.workerEndpoints,
      // --idempotent turns keys on for every adapter; each adapter's idempotencyKeys knob for itself.
      idempotentEffects:
        experiment.idempotent || (cell.knobs as { idempotencyKeys?: unknown }).idempotencyKeys === true,
      prepared: cell.prepared,
      failpoints: cell.faults.failpoints,
    },
    workerModule: cell.adapter.workerModule,
    runDir,
    history,
    restartDelayMs: experiment.workerRestartDelayMs,
  });

  const drainTimeoutMs = cell.drainTimeoutMs ?? experiment.load.drainTimeoutMs;
  let submitErrors = 0;
  try {
    await driver.setup();
    await supervisor.start();
    await env.world.stats(); // starts the world's utilisation window at this cell
    const startedAt = now() + 20;
    cell.faults.start({ supervisor, startedAt });
    const submissions: Promise<void>[] = [];
    for (const arrival of arrivals) {
      const intendedAt = startedAt + arrival.offsetMs;
      const wait = intendedAt - now();
      if (wait >= 1) await sleep(wait);
      pending.add(arrival.runId);
      submissions.push(
        driver.submit(arrival.runId).then(
          () => {
            history.append({
              type: 'submit',
              cell: cell.id,
              runId: arrival.runId,
              intendedAt,
              ...(arrival.warmup ? { warmup: true } : {}),
            });
          },
          (error: Error) => {
            // Not acknowledged, so not the orchestrator's to lose: counted apart.
            pending.delete(arrival.runId);
            submitErrors++;
            if (submitErrors <= 3) log(`  submit ${arrival.runId} failed: ${error.message}`);
          },
        ),
      );
    }
    await Promise.all(submissions);
    // Jepsen's final generator: heal everything, then give the system time to finish.
    await cell.faults.healAll();
    if (pending.size > 0) {
      const allDone = new Promise<void>((resolve) => {
        drained = resolve;
      });
      await Promise.race([allDone, sleep(drainTimeoutMs)]);
    }
    if (pending.size > 0) log(`  ${pending.size} runs still not done after the ${drainTimeoutMs} ms drain`);
    history.append({ type: 'world-stats', cell: cell.id, ...(await env.world.stats()) });
    return { submitErrors, undone: pending.size };
  } finally {
    await cell.faults.healAll().catch(() => {});
    await supervisor.stop();
    await driver.teardown();
  }
}
