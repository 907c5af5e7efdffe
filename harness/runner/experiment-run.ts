import { type CellFaults, Nemesis } from '../../chaos/index.js';
import type { HistoryWriter } from '../../core/history/writer.js';
import type { Results } from '../../core/results.js';
import { governedByText } from '../../core/topology.js';
import { fmtMs } from '../../reports/format.js';
import type { Experiment } from '../config/experiment.js';
import type { ProgressMode } from '../live/monitor.js';
import { runCell } from './cell.js';
import { computeResults, writeResults } from './recompute.js';
import type { RecordedConfig } from './recorded-config.js';
import { type ResolvedCell, type ResolvedExperiment, recordedConfig, resolveExperiment } from './resolve.js';
import { createRunFolder } from './run-folder.js';
import { startSession, writeConfigFile } from './session.js';

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
  const session = await startSession(outDir, {
    experiment,
    adapters: resolved.adapters,
    cells: resolved.cells.map((cell) => ({
      id: cell.id,
      scenario: cell.scenario.name,
      adapter: cell.adapter.name,
      fault: cell.fault,
      runs: experiment.load.runs,
    })),
    ...(options.metricsPort === undefined ? {} : { metricsPort: options.metricsPort }),
    ...(options.progress === undefined ? {} : { progress: options.progress }),
    log: baseLog,
  });
  const { log } = session;
  // The previous cell's teardown, overlapping the next cell's start-up (runCell).
  let stopped: Promise<void> = Promise.resolve();
  try {
    for (const cell of resolved.cells) {
      log(`cell ${cell.id}: ${experiment.load.runs} runs at ${experiment.load.ratePerSec}/s…`);
      if (cell.drainTimeoutMs > experiment.load.drainTimeoutMs) {
        const { governedBy } = cell.adapter.topology.recovery;
        // Say how long the wait may be, and what shortens it: at a library's production
        // defaults (Celery's visibility_timeout of an hour) a kill cell can drain for that long.
        log(
          `  drain raised to ${fmtMs(cell.drainTimeoutMs)}: workers die mid-step, recovery is governed by ` +
            `${governedByText(governedBy)}; shorter values of those knobs (--knob) shorten the wait`,
        );
      }
      const run = await runCell(
        {
          id: cell.id,
          scenario: cell.scenario,
          plan: cell.plan,
          adapter: cell.adapter.adapter,
          adapterName: cell.adapter.name,
          knobs: cell.adapter.knobs,
          topology: cell.adapter.topology,
          prepared: session.prepared.get(cell.adapter.adapter.name),
          faults: cellFaults(cell, session.history, log),
          drainTimeoutMs: cell.drainTimeoutMs,
        },
        {
          experiment,
          arrivals: cell.arrivals,
          env: session.env,
          history: session.history,
          runDir: outDir,
          log,
          previousStopped: stopped,
        },
      );
      stopped = run.stopped;
      if (run.refused > 0) log(`  ${run.refused} submissions were refused`);
    }
    await stopped;
  } finally {
    // A cell that failed waited for its own teardown, not necessarily for the one before it.
    await stopped.catch(() => {});
    await session.close();
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
async function prepareRun(
  experiment: Experiment,
  outDir: string,
): Promise<{ resolved: ResolvedExperiment; config: RecordedConfig }> {
  const resolved = await resolveExperiment(experiment);
  createRunFolder(outDir);
  const config = recordedConfig(resolved);
  writeConfigFile(outDir, config);
  return { resolved, config };
}

/** A fresh nemesis per cell over the cell's planned faults (every adapter meets the same schedule). */
function cellFaults(cell: ResolvedCell, history: HistoryWriter, log: (line: string) => void): CellFaults {
  return new Nemesis({ faults: cell.planned, history, log });
}
