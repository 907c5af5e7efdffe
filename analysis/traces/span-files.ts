import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SPAN_ATTRIBUTES, type SpanRecord } from '../../core/traces.js';

/**
 * The Faultline spans (roots, attempts, approvals, compensations) of every span file in a
 * run's traces/ folder, by cell; the libraries' own spans are not needed for completeness
 * and are skipped, so memory grows with attempts, not with every span. A line a SIGKILL
 * cut short is skipped too: its spans count as lost, which they are.
 */
export async function readCellSpans(tracesDir: string): Promise<Map<string, SpanRecord[]>> {
  const byCell = new Map<string, SpanRecord[]>();
  if (!existsSync(tracesDir)) return byCell;
  const files = readdirSync(tracesDir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort();
  for (const file of files) {
    const lines = createInterface({ input: createReadStream(join(tracesDir, file)), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.includes(SPAN_ATTRIBUTES.role)) continue;
      let span: SpanRecord;
      try {
        span = JSON.parse(line) as SpanRecord;
      } catch {
        continue;
      }
      const cell = span.attributes?.[SPAN_ATTRIBUTES.cell];
      if (typeof cell !== 'string') continue;
      const list = byCell.get(cell) ?? [];
      list.push(span);
      byCell.set(cell, list);
    }
  }
  return byCell;
}
