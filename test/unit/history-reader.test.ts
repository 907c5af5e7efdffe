import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.js';
import type { HistoryEvent } from '../../core/history/events.js';
import { readEvents } from '../../core/history/reader.js';
import { completeLength, HistoryWriter } from '../../core/history/writer.js';

/** A history is evidence: every line is an event or named; only a killed writer's torn tail is forgiven. */

const file = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'faultline-reader-')), 'h.jsonl');
  writeFileSync(path, text);
  return path;
};
const read = async (path: string) => {
  const events: HistoryEvent[] = [];
  for await (const event of readEvents(path)) events.push(event);
  return events;
};
const START = '{"type":"worker-start","cell":"c","worker":"w1","pid":7,"t":1}';

describe('the history reader and writer', () => {
  it('reads events; forgives a torn last line only', async () => {
    expect(await read(file(`${START}\n${START}\n`))).toHaveLength(2);
    expect(await read(file(`${START}\n{"type":"attem`))).toHaveLength(1);
    await expect(read(file(`${START}\n{"type":"attem\n${START}\n`))).rejects.toThrow(
      /h\.jsonl:2: not JSON, and not the last line/,
    );
  });

  it('names the file and line of a line that is JSON but not an event', async () => {
    for (const [line, why] of [
      ['null', 'not a history event (null)'],
      ['[1]', 'not a history event ([1])'],
      ['{"type":"submit","cell":"c","t":1,"runId":"r"}', 'submit event with a missing or bad "intendedAt"'],
      [
        '{"type":"run-done","cell":"c","t":1,"runId":"r","status":"done"}',
        'run-done event with "status" "done"',
      ],
      [
        '{"type":"worker-start","cell":"c","worker":"w1","pid":7,"t":"soon"}',
        'worker-start event without a numeric "t"',
      ],
    ] as const) {
      const error = await read(file(`${START}\n${line}\n`)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toContain(`h.jsonl:2: ${why}`);
    }
  });

  it('a writer opening a file a killed writer tore cuts the partial line off first', () => {
    const path = file(`${START}\n{"type":"attem`);
    expect(completeLength(path)).toBe(START.length + 1);
    const writer = new HistoryWriter(path);
    writer.write(JSON.parse(START) as HistoryEvent);
    writer.close();
    expect(readFileSync(path, 'utf8')).toBe(`${START}\n${START}\n`);
  });
});
