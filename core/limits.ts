/**
 * The valid ranges of every number a user can give (experiment, flags, knobs, fault
 * schedules, scenarios), in one place, so every message states the same range. They
 * are set by what the machinery can honour, not by taste: Node's timers hold at most
 * 2^31-1 ms (a longer delay fires after 1 ms, which once turned a drain into a false
 * "lost" verdict), and the arrival schedule is held in memory.
 */

/** The longest delay a Node timer honours (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The longest wait or duration any input may ask for: 24 h, well inside a timer. */
export const MAX_DURATION_MS = 86_400_000;

/** Runs per cell: the arrival schedule and the checker's per-run state are held in memory. */
export const MAX_RUNS = 1_000_000;

/** Poisson arrival rate (runs per second). */
export const MIN_RATE_PER_SEC = 0.001;
export const MAX_RATE_PER_SEC = 100_000;

/** Worker processes per adapter role. */
export const MAX_WORKERS = 64;

/** Jobs or activities one worker process runs at once. */
export const MAX_CONCURRENCY = 10_000;

/** Retries and attempts a knob may allow. */
export const MAX_ATTEMPTS = 1_000_000;

/** Seeds are 32-bit unsigned integers (mulberry32's state). */
export const MAX_SEED = 2 ** 32 - 1;

/** `faultline compare --tolerance`: a fraction of the baseline value. */
export const MAX_TOLERANCE = 100;
