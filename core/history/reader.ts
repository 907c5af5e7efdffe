import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { InputError } from '../errors.js';
import type { HistoryEvent } from './events.js';
import { eventProblem } from './validate.js';

/**
 * Streams the events of one JSONL file. Every line must be an event: any other line is an
 * InputError naming the file and line, never skipped. The one exception is a last line
 * that is not JSON at all: a writer SIGKILLed in the middle of its write leaves exactly
 * that (a writer that opens the file again cuts it off first, see HistoryWriter).
 */
export function readEvents(path: string): AsyncGenerator<HistoryEvent> {
  return readEventsFrom(path, 0);
}

/**
 * The events of one JSONL file from byte `start` (a line's start: the file's size at some
 * moment), read as readEvents does; line numbers in errors count from `start`.
 */
export async function* readEventsFrom(path: string, start: number): AsyncGenerator<HistoryEvent> {
  const lines = createInterface({
    input: createReadStream(path, { start }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const where = start === 0 ? path : `${path} (from byte ${start})`;
  let lineNo = 0;
  let torn: number | undefined;
  for await (const line of lines) {
    lineNo++;
    if (torn !== undefined) throw new InputError(`${where}:${torn}: not JSON, and not the last line`);
    if (line.length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      torn = lineNo;
      continue;
    }
    const problem = eventProblem(value);
    if (problem !== undefined) throw new InputError(`${where}:${lineNo}: ${problem}`);
    yield value as HistoryEvent;
  }
}

/**
 * Merges several per-process histories, each already in time order, into one
 * time-ordered stream. Holds one event per source, so memory stays bounded.
 */
export async function* mergeInTimeOrder(
  sources: AsyncIterable<HistoryEvent>[],
): AsyncGenerator<HistoryEvent> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const heads: (HistoryEvent | undefined)[] = await Promise.all(
    iterators.map(async (it) => (await it.next()).value ?? undefined),
  );
  for (;;) {
    let min = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i];
      if (head !== undefined && (min < 0 || head.t < heads[min]!.t)) min = i;
    }
    if (min < 0) return;
    yield heads[min]!;
    const next = await iterators[min]!.next();
    heads[min] = next.done ? undefined : next.value;
  }
}

/** The per-process parts a run writes before they are merged into history.jsonl. */
export function historyParts(partsDir: string): string[] {
  if (!existsSync(partsDir)) return [];
  return readdirSync(partsDir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort()
    .map((name) => join(partsDir, name));
}

/** Merges every part in `partsDir` into `outPath`; returns the number of events. */
export async function mergeHistoryParts(partsDir: string, outPath: string): Promise<number> {
  // The merge is a batch job, not a crash-safe log: a buffered stream is fine here.
  const out = createWriteStream(outPath);
  let count = 0;
  try {
    for await (const event of mergeInTimeOrder(historyParts(partsDir).map(readEvents))) {
      if (!out.write(`${JSON.stringify(event)}\n`)) await once(out, 'drain');
      count++;
    }
  } finally {
    out.end();
    await once(out, 'finish');
  }
  return count;
}
