import { readFileSync, writeFileSync } from 'node:fs';
import type { ServiceEndpoints } from '../core/services.js';

/**
 * The bare-script protocol of `faultline bench` (adapters/README.md, "Bench"): what the
 * bench hands the two processes of an adapter's bare script, the yardstick Faultline's
 * overhead is measured against. A bare script uses the adapter's library and nothing of
 * Faultline: no step runtime, no history, no world. Any language; this file is the
 * contract, and its helpers are for bare scripts written in TypeScript (Python's are in
 * scenarios/python/faultline_runtime/bare_protocol.py).
 *
 * The bench starts the `worker` process first and waits for its ready file, then starts
 * the `producer`, which submits `runs` no-op runs as fast as the library takes them,
 * waits until it has seen each one complete (the library's own way of awaiting a result),
 * writes its BareResult and exits 0. Then the bench stops the worker (SIGTERM; end of file
 * on stdin means the bench is gone: exit at once).
 */
export const BARE_PROTOCOL_VERSION = 1;

/** The environment variable naming the JSON file that holds a bare process's BareConfig. */
export const BARE_CONFIG_ENV = 'FAULTLINE_BARE_CONFIG_FILE';

export interface BareConfig<Knobs = Record<string, unknown>> {
  protocol: number;
  role: 'producer' | 'worker';
  /** No-op runs the producer submits; the worker just serves. */
  runs: number;
  /** Runs (jobs, activities, tasks) one worker process executes at once. */
  concurrency: number;
  /** The adapter's knobs for this concurrency, every default filled in: the Faultline cell's own. */
  knobs: Knobs;
  /** The adapter's services, by name, reached directly (no Toxiproxy link). */
  services: ServiceEndpoints;
  /** A name of its own for this bench (a queue, a task queue): nothing else shares it. */
  name: string;
  /** worker: create this file once it takes work. producer: write the BareResult (JSON) here. */
  signalPath: string;
}

/** What the producer measured: every run it saw complete, and the time from its first submit to its last completion. */
export interface BareResult {
  completed: number;
  seconds: number;
}

/** Reads the config the bench wrote for this process; throws with a sentence when absent or of another version. */
export function readBareConfig<Knobs>(env: NodeJS.ProcessEnv = process.env): BareConfig<Knobs> {
  const path = env[BARE_CONFIG_ENV];
  if (!path) throw new Error(`${BARE_CONFIG_ENV} is not set: bare scripts are started by faultline bench`);
  const config = JSON.parse(readFileSync(path, 'utf8')) as BareConfig<Knobs>;
  if (config.protocol !== BARE_PROTOCOL_VERSION)
    throw new Error(
      `bare config speaks protocol ${config.protocol}; this script speaks ${BARE_PROTOCOL_VERSION}`,
    );
  return config;
}

/** The worker takes work: tell the bench. */
export function announceReady(config: BareConfig<unknown>): void {
  writeFileSync(config.signalPath, `${process.pid}\n`);
}

/** The producer's figures, for the bench. */
export function reportResult(config: BareConfig<unknown>, result: BareResult): void {
  writeFileSync(config.signalPath, `${JSON.stringify(result)}\n`);
}

/**
 * The bench holds the write end of this process's stdin and never writes: end of file
 * means it is gone, and a bare process must not outlive it. SIGTERM runs `close` first.
 */
export function exitWithTheBench(close: () => Promise<void>): void {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
  process.once('SIGTERM', () => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
