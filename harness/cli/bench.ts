import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { benchedAdapters, benchOptions, overheadBench } from '../bench/overhead.js';
import { benchMarkdown } from '../bench/report.js';
import { createRunFolder } from '../runner/run-folder.js';
import { list, number, onOff, parseFlags } from './args.js';

export const BENCH_USAGE = `faultline bench [--adapter A,B] [--runs N] [--concurrency C] [--repeat N] [--warmup N] [--links on|off] [--out DIR]
                                  harness overhead: each adapter's no-op throughput vs its library used bare`;

/**
 * `faultline bench`: prints the markdown table (README's Overhead section is pasted from
 * it) and writes bench.json and bench.md into the output folder.
 */
export async function benchCommand(argv: string[], log: (line: string) => void): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      adapter: { type: 'string' },
      runs: { type: 'string' },
      concurrency: { type: 'string' },
      repeat: { type: 'string' },
      warmup: { type: 'string' },
      links: { type: 'string' },
      out: { type: 'string' },
    },
    'bench',
  );
  if (positionals.length > 0)
    throw new InputError(
      `faultline bench takes no arguments (got "${positionals[0]}"); flags: --adapter, --runs, --concurrency, --repeat, --warmup, --links, --out`,
    );
  const options = benchOptions({
    runs: number('runs', values.runs),
    concurrency: number('concurrency', values.concurrency) ?? 100,
    repeat: number('repeat', values.repeat) ?? 1,
    warmup: number('warmup', values.warmup) ?? 1,
  });
  const links = onOff('links', values.links) ?? true;
  const adapters = await benchedAdapters(list(values.adapter), log);
  const outDir = values.out ?? join('results', 'bench', new Date().toISOString().replaceAll(':', '-'));
  createRunFolder(outDir);
  if (existsSync(join(outDir, 'bench.json')))
    throw new InputError(`--out ${outDir} already holds a bench; choose another folder or remove it`);
  const report = await overheadBench({
    ...options,
    adapters,
    links,
    outDir,
    command: ['faultline', 'bench', ...argv].join(' '),
    log,
  });
  const table = benchMarkdown(report);
  writeFileSync(join(outDir, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, 'bench.md'), `${table}\n`);
  console.log(table);
  log(`wrote ${join(outDir, 'bench.json')}, ${join(outDir, 'bench.md')}`);
  return 0;
}
