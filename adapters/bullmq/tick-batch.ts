/**
 * Items handed over in one tick, sent in one command: each caller gets the promise of the
 * command that carries its item, so it still knows when its item is stored. The batch goes
 * out in a microtask queued with its first item, so every caller reaching here in the same
 * run of microtasks (a batch of jobs finishing together) shares it, and none waits for I/O
 * that a single command would not have waited for.
 */
export function tickBatch<T>(send: (items: T[]) => Promise<unknown>): (item: T) => Promise<void> {
  let open: { items: T[]; sent: Promise<void> } | null = null;
  return (item) => {
    if (open === null) {
      const batch: { items: T[]; sent: Promise<void> } = { items: [], sent: Promise.resolve() };
      batch.sent = Promise.resolve().then(async () => {
        // Closed before sending: an item added from here on starts the next batch.
        open = null;
        await send(batch.items);
      });
      open = batch;
    }
    open.items.push(item);
    return open.sent;
  };
}
