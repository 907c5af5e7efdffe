/**
 * The history's event vocabulary. Field names are a public contract (DESIGN.md):
 * other tools read history.jsonl, so rename nothing here without bumping
 * HISTORY_SCHEMA_VERSION.
 */
export const HISTORY_SCHEMA_VERSION = 2;

interface EventBase {
  /** Epoch milliseconds with a sub-millisecond fraction. */
  t: number;
  /** Id of the scenario × adapter × fault cell the event belongs to; `""` for events of the whole run. */
  cell: string;
}

/** The cell of events that belong to the whole run (history-start, run-interrupted). */
export const RUN_LEVEL = '';

/** The first line the harness writes: which vocabulary the history speaks. */
interface HistoryStartEvent extends EventBase {
  type: 'history-start';
  schemaVersion: number;
  tool: { name: string; version: string };
}

/** The harness was stopped (a signal) before the run ended: runs still open were not lost, just cut. */
interface RunInterruptedEvent extends EventBase {
  type: 'run-interrupted';
  signal: string;
}

/** A cell begins: the drain it will wait (raised where faults kill mid-step) and its worker processes. */
interface CellStartEvent extends EventBase {
  type: 'cell-start';
  drainTimeoutMs: number;
  workers: string[];
  /**
   * Each worker's role (`worker`, or e.g. `workflow` and `activity` for an adapter whose
   * workers are split), so a report can say which kind of worker a fault hit. Additive in
   * schema 2: absent from histories written before it.
   */
  roles?: Record<string, string>;
}

/** A cell's drain is over: the runs it still waited for (the checker calls them lost). */
interface CellEndEvent extends EventBase {
  type: 'cell-end';
  undone: number;
}

/** The orchestrator refused a submission: not acknowledged, so not its to lose. */
interface SubmitRefusedEvent extends EventBase {
  type: 'submit-refused';
  runId: string;
  intendedAt: number;
  reason: string;
}

interface SubmitEvent extends EventBase {
  type: 'submit';
  runId: string;
  /** When the arrival schedule wanted the run submitted; latency is measured from here. */
  intendedAt: number;
  warmup?: boolean;
}

export interface AttemptEvent extends EventBase {
  type: 'attempt';
  runId: string;
  stepId: string;
  worker: string;
  /** 1-based attempt number as the orchestrator reports it. */
  attempt: number;
  /**
   * Checkpointed steps only: the work (ms) this attempt skipped because it resumed
   * from a checkpoint an earlier attempt saved; 0 when it started from scratch.
   */
  resumedFromMs?: number;
  /**
   * The work (ms) the step runtime drew for this attempt (absent for approval and timer steps).
   * For checkpointed steps the step's whole work, the same for every attempt.
   */
  workMs?: number;
  /**
   * The process that runs the step, from workers whose steps run in pool children (a
   * prefork pool): which child had which step in flight when a fault killed one.
   * Additive in schema 2; absent from workers without pool children.
   */
  pid?: number;
  /**
   * Cells with a deploy only: the scenario version whose step definition this attempt
   * executed (1 before the deploy). What tells an in-flight run's old path from its new one.
   */
  version?: number;
}

/**
 * A timer step fired: the orchestrator handed the step to a worker once its wait was over.
 * Written by the step runtime between the timer's `attempt` and its `step-done`; a timer
 * fired twice (a redelivered countdown) writes it twice. `intendedAt` is the moment the
 * orchestrator was asked to fire it (when it set the timer, plus the delay), by its own
 * clock; drift is measured from the history instead (analysis/metrics/timers.ts).
 */
interface TimerFiredEvent extends EventBase {
  type: 'timer-fired';
  runId: string;
  stepId: string;
  worker: string;
  attempt: number;
  intendedAt: number;
}

interface EffectEvent extends EventBase {
  type: 'effect';
  runId: string;
  stepId: string;
  /** Idempotency key, or null when the effect was sent without one. */
  key: string | null;
  /** True when an idempotency key blocked a second application. */
  deduplicated: boolean;
  /** Correlation id the sender attached (traceability); usually the run id. */
  correlationId?: string;
}

export interface CompensateEvent extends EventBase {
  type: 'compensate';
  runId: string;
  stepId: string;
  key: string | null;
  deduplicated: boolean;
  correlationId?: string;
}

export interface StepDoneEvent extends EventBase {
  type: 'step-done';
  runId: string;
  stepId: string;
  worker: string;
  attempt: number;
  /** 'ok', or the error class when the step's code threw. */
  outcome: 'ok' | 'transient-error' | 'permanent-error';
}

export interface RunDoneEvent extends EventBase {
  type: 'run-done';
  runId: string;
  status: 'completed' | 'failed';
  output?: unknown;
}

export interface FaultStartEvent extends EventBase {
  type: 'fault-start';
  /** Id of this fault occurrence, shared with its fault-end. */
  faultId: string;
  fault: string;
  target: string;
  params?: Record<string, unknown>;
  /**
   * Workers whose steps in flight died with this fault (a SIGKILL, a failpoint): their
   * work waits for the orchestrator's recovery. Absent for faults that kill nothing.
   */
  killed?: string[];
  /**
   * When the fault killed pool children rather than whole workers (child-kill): their pids.
   * Only the steps those processes had in flight died (attempt `pid`). Additive in schema 2.
   */
  pids?: number[];
  /**
   * A kill's look right before its signal: the steps its targets had in flight (attempts
   * without their step-done in the workers' own histories, as the harness read them). The
   * record of what the signal hit: a worker stamps an event's `t` before it writes the
   * line, so a step-done stamped just before this fault-start may still have been unwritten
   * when the harness looked. Additive in schema 2.
   */
  inFlight?: WorkerStep[];
}

/** A step attempt and the worker that ran it. */
export interface WorkerStep {
  worker: string;
  runId: string;
  stepId: string;
  attempt: number;
}

interface FaultEndEvent extends EventBase {
  type: 'fault-end';
  faultId: string;
  fault: string;
  target: string;
}

/** Written by the worker itself once it takes work: the supervisor waits for this line. */
interface WorkerStartEvent extends EventBase {
  type: 'worker-start';
  worker: string;
  pid: number;
}

interface WorkerExitEvent extends EventBase {
  type: 'worker-exit';
  worker: string;
  pid: number;
  signal: string | null;
  code: number | null;
}

/**
 * What one worker process used over its life, read by the supervisor from /proc and
 * written when the process exits, right before its worker-exit (one per incarnation).
 * The figures are those of the last sample: taken every second while the process runs and
 * right before the supervisor signals it, so they miss at most a second of a process that
 * died by its own hand (a failpoint). Additive in schema 2.
 */
interface WorkerUsageEvent extends EventBase {
  type: 'worker-usage';
  worker: string;
  pid: number;
  /**
   * CPU time, user + system, in ms: the worker's process, the children it has reaped, and
   * the descendants alive at the sample (a prefork pool's children).
   */
  cpuMs: number;
  /** The same figure when the worker announced readiness: its start-up (interpreter, imports, connecting). */
  readyCpuMs: number | null;
  /** Peak resident set size (VmHWM) in KiB, summed over the processes counted in cpuMs that were alive. */
  peakRssKb: number;
  /** When the last sample was read (epoch ms). */
  sampledAt: number;
}

/**
 * The harness's reading of the world (the simulated APIs) over one cell: when the
 * world was near a full core, the cell measured the harness, not the system under test.
 */
interface WorldStatsEvent extends EventBase {
  type: 'world-stats';
  requests: number;
  /** Share of one core the world process used during the cell, 0..1 (null: not measurable). */
  cpuUtilisation: number | null;
}

/**
 * A planned fault that did not happen: never started (the load ended first) or a
 * failpoint that some worker never reached. A clean-looking cell says why it is clean.
 */
export interface FaultUnfiredEvent extends EventBase {
  type: 'fault-unfired';
  faultId: string;
  fault: string;
  /**
   * load-ended: its moment never came; not-reached: a failpoint some worker never reached;
   * idle-workers: a kill that waits for work in flight never found any.
   */
  reason: 'load-ended' | 'not-reached' | 'idle-workers';
  /** Failpoints: the workers that never reached the point. */
  workers?: string[];
}

/** One process tree as the footprint sampler read it from /proc (harness/footprint). */
export interface ProcessUsage {
  /**
   * What it is: a service (`redis`), a worker id (`bullmq-w1`), `world`, `harness`, or an
   * adapter's harness-side helper (`helper:celery-submitter`).
   */
  name: string;
  /**
   * `helper`: a process an adapter's driver starts to do the harness's side of its work
   * out of process (Celery's submitter publishes each run's canvas, which the BullMQ and
   * Temporal drivers do inside the harness). Like the harness, never charged to the adapter.
   */
  role: 'service' | 'worker' | 'world' | 'harness' | 'helper';
  /** The main process; its descendants (a prefork pool) are summed into it. */
  pid: number;
  /** When the main process started (epoch ms, 10 ms steps): a restarted one is a new series. */
  startedAt: number;
  /**
   * CPU time, user + system, of the process and its live descendants since each started,
   * children already reaped included (a counter: it only grows while the pid lives), ms.
   */
  cpuMs: number;
  /** Resident memory of the process and its live descendants now, bytes. */
  rssBytes: number;
  /** Live descendants summed in. */
  children: number;
}

/**
 * The harness sampled the CPU time and memory of the cell's processes (about once a
 * second, and once at each end of the cell): the backend servers, the workers with their
 * pool children, and what measures them (the world, the links, the harness itself).
 */
export interface ProcessUsageEvent extends EventBase {
  type: 'process-usage';
  processes: ProcessUsage[];
  /**
   * The whole machine since boot (/proc/stat), whatever runs on it: CPU busy and idle ms
   * over all cores. Tells a cell whose machine was saturated (by anything) apart.
   */
  machine?: { busyMs: number; idleMs: number; cores: number };
}

/**
 * How long the cell's stack took to come up, in parts the harness timed: each service
 * from spawn to answering (services the provider started itself; none for external ones),
 * the driver's setup, and the workers from spawn until every one announced worker-start.
 * The first accepted run (its submit) completes the picture in the analysis.
 */
export interface StackStartEvent extends EventBase {
  type: 'stack-start';
  servicesMs: Record<string, number>;
  setupMs: number;
  workersMs: number;
}

/**
 * A worker found that its code cannot continue a run (Temporal: a non-determinism error
 * while replaying the run's history with code deployed since). The run waits for code that
 * can; the analysis counts the runs this happened to.
 */
interface VersionConflictEvent extends EventBase {
  type: 'version-conflict';
  runId: string;
  worker: string;
  /** The orchestrator's own words. */
  detail: string;
}

export type HistoryEvent =
  | HistoryStartEvent
  | RunInterruptedEvent
  | CellStartEvent
  | CellEndEvent
  | SubmitEvent
  | SubmitRefusedEvent
  | AttemptEvent
  | EffectEvent
  | CompensateEvent
  | StepDoneEvent
  | RunDoneEvent
  | FaultStartEvent
  | FaultEndEvent
  | WorkerStartEvent
  | WorkerExitEvent
  | WorkerUsageEvent
  | WorldStatsEvent
  | FaultUnfiredEvent
  | TimerFiredEvent
  | ProcessUsageEvent
  | StackStartEvent
  | VersionConflictEvent;

export type EventType = HistoryEvent['type'];

/** An event as a writer hands it over: the writer stamps `t`. */
export type NewEvent = HistoryEvent extends infer E ? (E extends HistoryEvent ? Omit<E, 't'> : never) : never;
