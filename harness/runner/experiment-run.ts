import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CellFaults, Nemesis } from '../../chaos/index.js';
import { HISTORY_SCHEMA_VERSION, RUN_LEVEL } from '../../core/history/events.js';
import { HistoryWriter } from '../../core/history/writer.js';
import type { Results } from '../../core/results.js';
import { governedByText } from '../../core/topology.js';
import { TRACES_DIR } from '../../core/traces.js';
import { TOOL_VERSION } from '../../core/version.js';
import { traceTo } from '../../scenarios/tracing/setup.js';
import type { Experiment } from '../config/experiment.js';
import { type ProgressMode, startLiveMonitor } from '../live/monitor.js';
import { alsoRecordIn } from '../process-registry.js';
import { onInterrupt } from '../processes.js';
import { runCell } from './cell.js';
import { type Environment, startEnvironment } from './environment.js';
import { computeResults, writeResults } from './recompute.js';
import type { RecordedConfig } from './recorded-config.js';
import { type ResolvedCell, type ResolvedExperiment, recordedConfig, resolveExperiment } from './resolve.js';
import { createRunFolder } from './run-folder.js';

export interface RunOptions {
  /** Serve Prometheus metrics on 127.0.0.1:port/metrics while the run lasts (0: a free port). */
  metricsPort?: number;
  /** Live progress: bars on a terminal, plain lines otherwise (`auto`); off by default. */
  progress?: ProgressMode;
}

/**
 * Runs the matrix scenario × fault × adapter on one set of services, every cell on
 * the same arrival schedule, then checks the merged history.
 */
export async function runExperiment(
  experiment: Experiment,
  outDir: string,
  baseLog: (line: string) => void,
  options: RunOptions = {},
): Promise<Results> {
  const { resolved, config } = await prepareRun(experiment, outDir);
  alsoRecordIn(join(outDir, 'processes.jsonl'));

  const history = new HistoryWriter(join(outDir, 'history.d', 'harness.jsonl'));
  history.append({
    type: 'history-start',
    cell: RUN_LEVEL,
    schemaVersion: HISTORY_SCHEMA_VERSION,
    tool: { name: 'faultline', version: TOOL_VERSION },
  });
  // Said before anything is killed: the runs in flight were cut, not lost (the checker reads this).
  const forgetInterrupt = onInterrupt((signal) =>
    history.append({ type: 'run-interrupted', cell: RUN_LEVEL, signal }),
  );
  // The live view (progress, /metrics) follows the history files on a timer of its own.
  const monitor = await startLiveMonitor({
    runDir: outDir,
    cells: resolved.cells.map((cell) => ({
      id: cell.id,
      scenario: cell.scenario.name,
      adapter: cell.adapter.adapter.name,
      fault: cell.fault,
      runs: experiment.load.runs,
    })),
    ...(options.metricsPort === undefined ? {} : { metricsPort: options.metricsPort }),
    progress: options.progress ?? 'off',
    log: baseLog,
  });
  const log = monitor.log;
  const services = new Set(resolved.adapters.flatMap(({ topology }) => topology.services));
  log(`starting services (${[...services].join(', ')}: ${experiment.services}), the links and the world…`);
  let env: Environment;
  try {
    env = await startEnvironment({
      runDir: outDir,
      services,
      links: resolved.adapters.flatMap(({ topology }) => topology.links),
      persistence: experiment.backendPersistence,
      proxyWorkers: experiment.proxyWorkers,
      provider: experiment.services,
      containerImages: experiment.containerImages,
      log,
    });
  } catch (error) {
    forgetInterrupt();
    alsoRecordIn(undefined);
    history.close();
    await monitor.stop();
    throw error;
  }
  // Traced: the harness's own spans (each run's root) go to traces/harness.jsonl.
  const traces = experiment.traces
    ? traceTo({
        serviceName: 'faultline-harness',
        instanceId: 'harness',
        file: join(outDir, TRACES_DIR, 'harness.jsonl'),
      })
    : null;
  try {
    if (experiment.approver) env.world.setApprover(experiment.approver);
    const prepared = new Map<string, unknown>();
    for (const { adapter } of resolved.adapters)
      prepared.set(adapter.name, await adapter.prepare?.(outDir, { traced: experiment.traces }));
    for (const cell of resolved.cells) {
      log(`cell ${cell.id}: ${experiment.load.runs} runs at ${experiment.load.ratePerSec}/s…`);
      if (cell.drainTimeoutMs > experiment.load.drainTimeoutMs) {
        const { governedBy } = cell.adapter.topology.recovery;
        log(
          `  drain raised to ${cell.drainTimeoutMs} ms: workers die mid-step, recovery is governed by ${governedByText(governedBy)}`,
        );
      }
      const summary = await runCell(
        {
          id: cell.id,
          scenario: cell.scenario,
          plan: cell.plan,
          adapter: cell.adapter.adapter,
          knobs: cell.adapter.knobs,
          topology: cell.adapter.topology,
          prepared: prepared.get(cell.adapter.adapter.name),
          faults: cellFaults(cell, history, log),
          drainTimeoutMs: cell.drainTimeoutMs,
        },
        { experiment, arrivals: cell.arrivals, env, history, runDir: outDir, log },
      );
      if (summary.refused > 0) log(`  ${summary.refused} submissions were refused`);
    }
  } finally {
    forgetInterrupt();
    history.close();
    await traces?.close();
    await env.stop();
    await monitor.stop();
    alsoRecordIn(undefined);
  }
  // The same path as `faultline report`: results from the merged history and config alone.
  const results = await computeResults(outDir, config);
  writeResults(outDir, results);
  return results;
}

/**
 * Everything a run does before it starts a process: every name resolved and every number
 * checked (bad input throws InputError here, at no cost), the run folder made, config.json
 * written.
 */
export async function prepareRun(
  experiment: Experiment,
  outDir: string,
): Promise<{ resolved: ResolvedExperiment; config: RecordedConfig }> {
  const resolved = await resolveExperiment(experiment);
  createRunFolder(outDir);
  const config = recordedConfig(resolved);
  writeFileSync(join(outDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return { resolved, config };
}

/** A fresh nemesis per cell over the cell's planned faults (every adapter meets the same schedule). */
function cellFaults(cell: ResolvedCell, history: HistoryWriter, log: (line: string) => void): CellFaults {
  return new Nemesis({ faults: cell.planned, history, log });
}
