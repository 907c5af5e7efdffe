/**
 * The `t` of every history event: epoch milliseconds with a sub-millisecond fraction, on
 * one clock shared by every process of a run.
 *
 * Each process reading its own wall clock is not enough: Node's performance.timeOrigin and
 * Python's time.time() disagreed by ~3 ms between a worker and the harness, which put an
 * effect before the attempt that caused it in the merged history and made the checker see
 * ordering anomalies that never happened. So the wall clock is read once, by the first
 * faultline process of a run, as an anchor: epoch ms minus CLOCK_MONOTONIC ms. Every
 * process it starts inherits the anchor (FAULTLINE_CLOCK_ANCHOR) and adds its own reading
 * of CLOCK_MONOTONIC, which is one clock for the whole machine (containers included), never
 * steps with NTP, and never goes back.
 */
export const CLOCK_ANCHOR_ENV = 'FAULTLINE_CLOCK_ANCHOR';

/** CLOCK_MONOTONIC in milliseconds (libuv's hrtime reads it on Linux; Python's time.monotonic_ns too). */
function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1_000_000;
}

function clockAnchor(): number {
  const inherited = Number(process.env[CLOCK_ANCHOR_ENV]);
  if (process.env[CLOCK_ANCHOR_ENV] !== undefined && Number.isFinite(inherited) && inherited > 0)
    return inherited;
  const anchor = Date.now() - monotonicMs();
  // Set here, so every child process spawned with this environment reads the same clock.
  process.env[CLOCK_ANCHOR_ENV] = String(anchor);
  return anchor;
}

const ANCHOR = clockAnchor();

/** Epoch milliseconds on the run's shared clock; never goes back within or across processes. */
export function now(): number {
  return ANCHOR + monotonicMs();
}
