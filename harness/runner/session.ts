import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyAdapter } from '../../adapters/index.js';
import { HISTORY_SCHEMA_VERSION, RUN_LEVEL } from '../../core/history/events.js';
import { HistoryWriter } from '../../core/history/writer.js';
import type { AdapterTopology } from '../../core/topology.js';
import { TOOL_VERSION } from '../../core/version.js';
import { type Environment, startEnvironment } from './environment.js';
import type { RecordedConfig } from './recorded-config.js';

/**
 * One run folder with its services up: the history open, the environment started, each
 * adapter prepared once. The experiment runner and the capacity sweep run their cells in
 * it, one after the other; `close` stops everything it started.
 */
export interface RunSession {
  outDir: string;
  env: Environment;
  history: HistoryWriter;
  /** What each adapter's `prepare` returned, by adapter name. */
  prepared: ReadonlyMap<string, unknown>;
  /** (Re)writes config.json: the run folder's truth, before anything starts and as cells are added. */
  writeConfig(config: RecordedConfig): void;
  close(): Promise<void>;
}

export interface SessionOptions {
  adapters: readonly { adapter: AnyAdapter; topology: AdapterTopology }[];
  persistence: boolean;
  proxyWorkers: boolean;
  approver?: { delayMs: number; rejectRate: number };
  log: (line: string) => void;
}

export function writeConfigFile(outDir: string, config: RecordedConfig): void {
  writeFileSync(join(outDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}

export async function startSession(outDir: string, options: SessionOptions): Promise<RunSession> {
  mkdirSync(join(outDir, 'logs'), { recursive: true });
  const history = new HistoryWriter(join(outDir, 'history.d', 'harness.jsonl'));
  history.append({
    type: 'history-start',
    cell: RUN_LEVEL,
    schemaVersion: HISTORY_SCHEMA_VERSION,
    tool: { name: 'faultline', version: TOOL_VERSION },
  });
  const services = new Set(options.adapters.flatMap(({ topology }) => topology.services));
  options.log(`starting services (${[...services].join(', ')}), the links and the world…`);
  let env: Environment;
  try {
    env = await startEnvironment({
      runDir: outDir,
      services,
      links: options.adapters.flatMap(({ topology }) => topology.links),
      persistence: options.persistence,
      proxyWorkers: options.proxyWorkers,
    });
  } catch (error) {
    history.close();
    throw error;
  }
  try {
    if (options.approver) env.world.setApprover(options.approver);
    const prepared = new Map<string, unknown>();
    for (const { adapter } of options.adapters)
      if (!prepared.has(adapter.name)) prepared.set(adapter.name, await adapter.prepare?.(outDir));
    return {
      outDir,
      env,
      history,
      prepared,
      writeConfig: (config) => writeConfigFile(outDir, config),
      async close() {
        history.close();
        await env.stop();
      },
    };
  } catch (error) {
    history.close();
    await env.stop();
    throw error;
  }
}
