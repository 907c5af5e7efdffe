import { describe, expect, it } from 'vitest';
import { tickBatch } from '../../adapters/bullmq/tick-batch.js';

describe('tickBatch', () => {
  it('sends the items of one tick in one call, and resolves each caller when it is sent', async () => {
    const sent: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const add = tickBatch(async (items: number[]) => {
      sent.push([...items]);
      await gate;
    });
    const settled: number[] = [];
    const calls = [1, 2, 3].map((n) => add(n).then(() => settled.push(n)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([[1, 2, 3]]);
    // Not stored yet: nobody is told it is.
    expect(settled).toEqual([]);
    release();
    await Promise.all(calls);
    expect(settled).toEqual([1, 2, 3]);
  });

  it('starts a new batch for items added after the last one went out', async () => {
    const sent: string[][] = [];
    const add = tickBatch(async (items: string[]) => {
      sent.push([...items]);
    });
    await add('a');
    await Promise.all([add('b'), add('c')]);
    expect(sent).toEqual([['a'], ['b', 'c']]);
  });

  it('hands a failed send to every caller of its batch', async () => {
    const add = tickBatch(async () => {
      throw new Error('connection lost');
    });
    const results = await Promise.allSettled([add(1), add(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
