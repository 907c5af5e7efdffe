import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type CellFaults, Nemesis } from '../../chaos/index.js';
import { InputError } from '../../core/errors.js';
import type { HistoryWriter } from '../../core/history/writer.js';
import type { Results } from '../../core/results.js';
import { governedByText } from '../../core/topology.js';
import type { Experiment } from '../config/experiment.js';
import { runCell } from './cell.js';
import { computeResults, writeResults } from './recompute.js';
import { type ResolvedCell, recordedConfig, resolveExperiment } from './resolve.js';
import { startSession, writeConfigFile } from './session.js';

/**
 * Runs the matrix scenario × fault × adapter on one set of services, every cell on
 * the same arrival schedule, then checks the merged history.
 */
export async function runExperiment(
  experiment: Experiment,
  outDir: string,
  log: (line: string) => void,
): Promise<Results> {
  const resolved = await resolveExperiment(experiment);
  refuseUsedFolder(outDir);
  const config = recordedConfig(resolved);
  // config.json before anything starts: an interrupted run's folder still says what it was.
  mkdirSync(outDir, { recursive: true });
  writeConfigFile(outDir, config);
  const session = await startSession(outDir, {
    adapters: resolved.adapters,
    persistence: experiment.backendPersistence,
    proxyWorkers: experiment.proxyWorkers,
    ...(experiment.approver ? { approver: experiment.approver } : {}),
    log,
  });
  try {
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
        },
      );
      if (summary.refused > 0) log(`  ${summary.refused} submissions were refused`);
    }
  } finally {
    await session.close();
  }
  // The same path as `faultline report`: results from the merged history and config alone.
  const results = await computeResults(outDir, config);
  writeResults(outDir, results);
  return results;
}

/** Never mix two runs' histories, and never delete what a user may still want. */
export function refuseUsedFolder(outDir: string): void {
  if (existsSync(join(outDir, 'history.d'))) {
    throw new InputError(`${outDir} already holds a run; choose another --out or remove it`);
  }
}

/** A fresh nemesis per cell over the cell's planned faults (every adapter meets the same schedule). */
function cellFaults(cell: ResolvedCell, history: HistoryWriter, log: (line: string) => void): CellFaults {
  return new Nemesis({ faults: cell.planned, history, log });
}
