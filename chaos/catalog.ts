/**
 * The named faults: a one-line description (for `faultline list`) and the schedule
 * entries each stands for. Defaults suit a quick run: faults land at 30% of the load
 * window and last a few seconds, so there is load before, during and after them.
 */

export interface NamedFaultContext {
  /** Runs per cell and worker processes: for "the Nth occurrence in each worker". */
  runs: number;
  workers: number;
}

/** A schedule entry as written, before validation fills in its defaults. */
interface EntryInput {
  kind: string;
  at?: number | string;
  duration?: number;
  target?: string;
  params?: Record<string, unknown>;
}

export interface FaultDefinition {
  name: string;
  description: string;
  entries(ctx: NamedFaultContext): EntryInput[];
}

/** Name of the cell fault that runs the experiment's own `faultSchedule`. */
export const SCHEDULE_FAULT = 'schedule';

/** Failpoints arm at 30% of the load and fire at the next time each worker reaches the point. */
const failpoint = (point: 'before-effect' | 'after-effect' | 'after-step'): EntryInput => ({
  kind: 'failpoint',
  at: '30%',
  params: { point, nth: 1, once: true },
});

export const NAMED_FAULTS: FaultDefinition[] = [
  {
    name: 'none',
    description: 'no fault: the baseline every other cell is compared with',
    entries: () => [],
  },
  {
    name: 'worker-kill',
    description: 'SIGKILL one worker (drawn from the seed) at 30% of the load; restarted after the delay',
    entries: () => [{ kind: 'kill', at: '30%', target: 'worker', params: { signal: 'SIGKILL' } }],
  },
  {
    name: 'child-kill',
    description:
      'SIGKILL one pool child of one worker at 30% of the load, as the OOM killer does (pool adapters)',
    entries: () => [
      { kind: 'child-kill', at: '30%', target: 'worker', params: { signal: 'SIGKILL', busy: true } },
    ],
  },
  {
    name: 'worker-kill-random',
    description: 'SIGKILL a random worker at three random moments of the load, all drawn from the seed',
    entries: () =>
      [1, 2, 3].map(() => ({ kind: 'kill', at: 'random', target: 'worker', params: { signal: 'SIGKILL' } })),
  },
  {
    name: 'worker-kill-activity',
    description:
      'SIGKILL the busiest worker of role `activity` (workflows and activities in separate workers) at 30%',
    entries: () => [{ kind: 'kill', at: '30%', target: 'worker@activity', params: { signal: 'SIGKILL' } }],
  },
  {
    name: 'worker-kill-workflow',
    description:
      'SIGKILL a worker of role `workflow` (it holds runs’ orchestration, no steps) at 30%, once steps are in flight',
    entries: () => [{ kind: 'kill', at: '30%', target: 'worker@workflow', params: { signal: 'SIGKILL' } }],
  },
  {
    name: 'worker-restart',
    description: 'SIGTERM every worker at 30% of the load (graceful shutdown), as a rolling deploy would',
    entries: () => [{ kind: 'kill', at: '30%', target: 'workers', params: { signal: 'SIGTERM' } }],
  },
  {
    name: 'kill-after-effect',
    description:
      'from 30% of the load, each worker dies once right after applying an effect (first effect step)',
    entries: () => [failpoint('after-effect')],
  },
  {
    name: 'kill-before-effect',
    description: 'from 30% of the load, each worker dies once just before applying an effect',
    entries: () => [failpoint('before-effect')],
  },
  {
    name: 'kill-after-step',
    description: 'from 30% of the load, each worker dies once after a step returned, before it is recorded',
    entries: () => [failpoint('after-step')],
  },
  {
    name: 'network-partition',
    description: "cut the workers off their orchestrator's backend (link down) for 5 s at 30% of the load",
    entries: () => [{ kind: 'partition', at: '30%', duration: 5000, target: 'orchestrator' }],
  },
  {
    name: 'network-latency',
    description: 'add 200 ms ± 50 ms latency between workers and their backend for 5 s at 30% of the load',
    entries: () => [
      {
        kind: 'latency',
        at: '30%',
        duration: 5000,
        target: 'orchestrator',
        params: { latency: 200, jitter: 50, stream: 'both' },
      },
    ],
  },
  {
    name: 'network-blackhole',
    description:
      "blackhole the workers' backend link for 5 s at 30% of the load; silent connections close after 2 s",
    entries: () => [{ kind: 'timeout', at: '30%', duration: 5000, target: 'orchestrator' }],
  },
  {
    name: 'world-partition',
    description: 'cut the workers off the world (model, tools, data store) for 5 s at 30% of the load',
    entries: () => [{ kind: 'partition', at: '30%', duration: 5000, target: 'world' }],
  },
  {
    name: 'backend-restart',
    description:
      "crash and restart the orchestrator's backend (Redis / Temporal) at 40% of the load, 1 s down",
    entries: () => [{ kind: 'backend-restart', at: '40%', target: 'backend', params: { downMs: 1000 } }],
  },
  {
    name: 'model-outage',
    description: 'the model API answers 503 to every call for 3 s at 30% of the load',
    entries: () => [{ kind: 'model-errors', at: '30%', duration: 3000, params: { rate: 1, status: 503 } }],
  },
  {
    name: 'model-rate-limit',
    description:
      'the model API answers half its calls with 429 and Retry-After: 1 for 5 s at 30% of the load',
    entries: () => [
      {
        kind: 'model-errors',
        at: '30%',
        duration: 5000,
        params: { rate: 0.5, status: 429, retryAfterSeconds: 1 },
      },
    ],
  },
  {
    name: 'model-slow',
    description: 'model and tool calls take 1 s longer for 5 s at 30% of the load',
    entries: () => [{ kind: 'model-latency', at: '30%', duration: 5000, params: { extraLatencyMs: 1000 } }],
  },
];
