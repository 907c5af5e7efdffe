import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { describeZodError, InputError, REPORT_INPUT } from '../../core/errors.js';
import { MAX_CONCURRENCY, MAX_RUNS } from '../../core/limits.js';
import { parseExperiment } from '../config/load-experiment.js';
import { runExperiment } from '../runner/experiment-run.js';
import { createServicesProvider } from '../services/index.js';
import { nodeArgsFor } from '../supervisor/node.js';

const BARE = fileURLToPath(new URL('./bare-bullmq.ts', import.meta.url));

export interface BenchRow {
  what: string;
  perSec: number;
}

/** The bench's numbers, in range (a bench of 0 runs would wait forever for its first completion). */
const BenchOptionsSchema = z
  .object({
    runs: z.number().int().min(1).max(MAX_RUNS),
    concurrency: z.number().int().min(1).max(MAX_CONCURRENCY),
  })
  .strict();

export function benchOptions(input: {
  runs: number;
  concurrency: number;
}): z.infer<typeof BenchOptionsSchema> {
  const parsed = BenchOptionsSchema.safeParse(input, REPORT_INPUT);
  if (!parsed.success)
    throw new InputError(describeZodError(parsed.error, 'faultline bench', BenchOptionsSchema));
  return parsed.data;
}

export interface OverheadOptions {
  runs: number;
  concurrency: number;
  outDir: string;
  log: (line: string) => void;
}

/**
 * DESIGN.md's budget: on a no-op scenario, an adapter driven by Faultline reaches at
 * least 90% of a bare script's throughput with the same library and concurrency.
 * Measured side by side in one process tree, one after the other, on the same machine.
 */
export async function overheadBench(options: OverheadOptions): Promise<BenchRow[]> {
  const { runs, concurrency, outDir, log } = options;
  const rows: BenchRow[] = [];
  const provider = createServicesProvider('local');
  try {
    const { redis } = await provider.start(['redis'], { dir: join(outDir, 'bare'), persistence: true });
    for (const shape of ['preloaded', 'streamed']) {
      log(`bare BullMQ, ${shape}: ${runs} no-op jobs at concurrency ${concurrency}…`);
      const out = execFileSync(
        process.execPath,
        [...nodeArgsFor(BARE), String(redis!.port), String(runs), String(concurrency), shape],
        {
          encoding: 'utf8',
        },
      );
      rows.push({ what: `bare BullMQ (${shape})`, perSec: (JSON.parse(out) as { perSec: number }).perSec });
    }
  } finally {
    await provider.stop();
  }
  for (const proxyWorkers of [false, true]) {
    const label = proxyWorkers ? 'workers through Toxiproxy' : 'workers direct';
    log(`Faultline bullmq, noop scenario, ${label}…`);
    const experiment = parseExperiment(
      {
        scenarios: ['noop'],
        adapters: [{ name: 'bullmq', knobs: { concurrency } }],
        // Arrivals far above capacity: the cell runs as fast as the system allows.
        load: { runs, ratePerSec: 1_000_000, workers: 1, warmupRuns: Math.floor(runs / 10) },
        proxyWorkers,
        // The harness against bare BullMQ: no tracing, which bare BullMQ does not do either.
        traces: false,
      },
      'bench',
    );
    const results = await runExperiment(
      experiment,
      join(outDir, proxyWorkers ? 'proxied' : 'direct'),
      () => {},
    );
    rows.push({ what: `Faultline bullmq (${label})`, perSec: results.cells[0]?.throughputPerSec ?? 0 });
  }
  return rows;
}

export function benchTable(rows: BenchRow[]): string {
  const base = rows.find((r) => r.what.includes('streamed'))?.perSec ?? rows[0]!.perSec;
  const width = Math.max(...rows.map((r) => r.what.length));
  return [
    `${'what'.padEnd(width)}  runs/s   vs bare streamed`,
    ...rows.map(
      (r) =>
        `${r.what.padEnd(width)}  ${r.perSec.toFixed(0).padStart(6)}   ${((r.perSec / base) * 100).toFixed(0)}%`,
    ),
  ].join('\n');
}
