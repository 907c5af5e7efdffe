import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent } from '../../core/history/events.js';

/** Every event of a history file, in file order. */
export const readHistoryFile = (path: string): HistoryEvent[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as HistoryEvent);

/** Every event of a run folder's merged history. */
export const readRunHistory = (outDir: string): HistoryEvent[] =>
  readHistoryFile(join(outDir, 'history.jsonl'));
