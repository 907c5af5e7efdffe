import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyAdapter } from '../../adapters/index.js';
import { HISTORY_SCHEMA_VERSION, RUN_LEVEL } from '../../core/history/events.js';
import { HistoryWriter } from '../../core/history/writer.js';
import type { AdapterTopology } from '../../core/topology.js';
import { TRACES_DIR } from '../../core/traces.js';
import { TOOL_VERSION } from '../../core/version.js';
import { traceTo } from '../../scenarios/tracing/setup.js';
import type { Experiment } from '../config/experiment.js';
import type { CellPlanEntry } from '../live/live-state.js';
import { type ProgressMode, startLiveMonitor } from '../live/monitor.js';
import { alsoRecordIn } from '../process-registry.js';
import { onInterrupt } from '../processes.js';
import { type Environment, startEnvironment } from './environment.js';
import type { RecordedConfig } from './recorded-config.js';

/**
 * One run folder with its services up: the processes recorded (processes.jsonl), the
 * history open (and an interrupt said in it before anything is killed), the live view,
 * the environment started, the harness's traces, each adapter prepared once. The
 * experiment runner and the capacity sweep run their cells in it, one after the other;
 * `close` stops everything it started.
 */
export interface RunSession {
  outDir: string;
  env: Environment;
  history: HistoryWriter;
  /** What each adapter's `prepare` returned, by adapter name. */
  prepared: ReadonlyMap<string, unknown>;
  /** Prints above the progress bars (the live view's log). */
  log: (line: string) => void;
  close(): Promise<void>;
}

export interface SessionOptions {
  experiment: Experiment;
  adapters: readonly { adapter: AnyAdapter; topology: AdapterTopology }[];
  /** The cells the live view shows (an empty list for a sweep that decides its cells as it goes). */
  cells: readonly CellPlanEntry[];
  /** Serve Prometheus metrics on 127.0.0.1:port/metrics while the run lasts (0: a free port). */
  metricsPort?: number;
  progress?: ProgressMode;
  log: (line: string) => void;
}

/** (Re)writes config.json: the run folder's truth, before anything starts and as cells are added. */
export function writeConfigFile(outDir: string, config: RecordedConfig): void {
  writeFileSync(join(outDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}

/** Starts a session in `outDir`, a run folder already made (createRunFolder) with its config.json. */
export async function startSession(outDir: string, options: SessionOptions): Promise<RunSession> {
  const { experiment } = options;
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
    cells: options.cells,
    ...(options.metricsPort === undefined ? {} : { metricsPort: options.metricsPort }),
    progress: options.progress ?? 'off',
    log: options.log,
  });
  const log = monitor.log;
  const services = new Set(options.adapters.flatMap(({ topology }) => topology.services));
  log(`starting services (${[...services].join(', ')}: ${experiment.services}), the links and the world…`);
  let env: Environment;
  try {
    env = await startEnvironment({
      runDir: outDir,
      services,
      links: options.adapters.flatMap(({ topology }) => topology.links),
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
  const close = async () => {
    forgetInterrupt();
    history.close();
    await traces?.close();
    await env.stop();
    await monitor.stop();
    alsoRecordIn(undefined);
  };
  try {
    if (experiment.approver) env.world.setApprover(experiment.approver);
    const prepared = new Map<string, unknown>();
    for (const { adapter } of options.adapters)
      if (!prepared.has(adapter.name))
        prepared.set(adapter.name, await adapter.prepare?.(outDir, { traced: experiment.traces }));
    return {
      outDir,
      env,
      history,
      prepared,
      log,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
