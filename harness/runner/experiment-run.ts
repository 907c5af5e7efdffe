import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CellFaults, Nemesis } from '../../chaos/index.js';
import { InputError } from '../../core/errors.js';
import { HISTORY_SCHEMA_VERSION, RUN_LEVEL } from '../../core/history/events.js';
import { HistoryWriter } from '../../core/history/writer.js';
import type { Results } from '../../core/results.js';
import { governedByText } from '../../core/topology.js';
import { TOOL_VERSION } from '../../core/version.js';
import type { Experiment } from '../config/experiment.js';
import { runCell } from './cell.js';
import { startEnvironment } from './environment.js';
import { computeResults, writeResults } from './recompute.js';
import { type ResolvedCell, recordedConfig, resolveExperiment } from './resolve.js';

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
  // Never mix two runs' histories, and never delete what a user may still want.
  if (existsSync(join(outDir, 'history.d'))) {
    throw new InputError(`${outDir} already holds a run; choose another --out or remove it`);
  }
  mkdirSync(join(outDir, 'logs'), { recursive: true });
  const config = recordedConfig(resolved);
  writeFileSync(join(outDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);

  const history = new HistoryWriter(join(outDir, 'history.d', 'harness.jsonl'));
  history.append({
    type: 'history-start',
    cell: RUN_LEVEL,
    schemaVersion: HISTORY_SCHEMA_VERSION,
    tool: { name: 'faultline', version: TOOL_VERSION },
  });
  const services = new Set(resolved.adapters.flatMap(({ topology }) => topology.services));
  log(`starting services (${[...services].join(', ')}), the links and the world…`);
  const env = await startEnvironment({
    runDir: outDir,
    services,
    links: resolved.adapters.flatMap(({ topology }) => topology.links),
    persistence: experiment.backendPersistence,
    proxyWorkers: experiment.proxyWorkers,
  });
  try {
    if (experiment.approver) env.world.setApprover(experiment.approver);
    const prepared = new Map<string, unknown>();
    for (const { adapter } of resolved.adapters)
      if (!prepared.has(adapter.name)) prepared.set(adapter.name, await adapter.prepare?.(outDir));
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
          prepared: prepared.get(cell.adapter.adapter.name),
          faults: cellFaults(cell, history, log),
          drainTimeoutMs: cell.drainTimeoutMs,
        },
        { experiment, arrivals: cell.arrivals, env, history, runDir: outDir, log },
      );
      if (summary.refused > 0) log(`  ${summary.refused} submissions were refused`);
    }
  } finally {
    history.close();
    await env.stop();
  }
  // The same path as `faultline report`: results from the merged history and config alone.
  const results = await computeResults(outDir, config);
  writeResults(outDir, results);
  return results;
}

/** A fresh nemesis per cell over the cell's planned faults (every adapter meets the same schedule). */
function cellFaults(cell: ResolvedCell, history: HistoryWriter, log: (line: string) => void): CellFaults {
  return new Nemesis({ faults: cell.planned, history, log });
}
