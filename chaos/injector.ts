/**
 * One fault occurrence against the live cell, Jepsen-nemesis style: small,
 * composable, one kind per file. The nemesis writes fault-start before `inject`
 * and fault-end after `heal` (or once `inject` resolves, for faults with no heal).
 */
export interface Injector {
  /** The concrete target, as written in fault-start (e.g. `broker`, `bullmq-w2`, `redis`). */
  target: string;
  inject(): Promise<void>;
  /** Undoes the fault; absent when `inject` returns only once the fault is over. */
  heal?(): Promise<void>;
  /** Nothing to heal and no end to wait for (a kill): no fault-end is written. */
  instant?: boolean;
}
