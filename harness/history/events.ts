/**
 * The history's event vocabulary. Field names are a public contract (DESIGN.md):
 * other tools read history.jsonl, so rename nothing here without bumping
 * HISTORY_SCHEMA_VERSION.
 */
export const HISTORY_SCHEMA_VERSION = 1;

interface EventBase {
  /** Epoch milliseconds with a sub-millisecond fraction. */
  t: number;
  /** Id of the scenario × adapter × fault cell the event belongs to. */
  cell: string;
}

export interface SubmitEvent extends EventBase {
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
   * Executed steps (not approvals): the work in ms this attempt sampled. For checkpointed
   * steps it is the step's whole work, the same for every attempt.
   */
  workMs?: number;
}

export interface EffectEvent extends EventBase {
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
}

export interface FaultEndEvent extends EventBase {
  type: 'fault-end';
  faultId: string;
  fault: string;
  target: string;
}

export interface WorkerStartEvent extends EventBase {
  type: 'worker-start';
  worker: string;
  pid: number;
}

export interface WorkerExitEvent extends EventBase {
  type: 'worker-exit';
  worker: string;
  pid: number;
  signal: string | null;
  code: number | null;
}

/**
 * The harness's reading of the world (the simulated APIs) over one cell: when the
 * world was near a full core, the cell measured the harness, not the system under test.
 */
export interface WorldStatsEvent extends EventBase {
  type: 'world-stats';
  requests: number;
  /** Share of one core the world process used during the cell, 0..1 (null: not measurable). */
  cpuUtilisation: number | null;
}

export type HistoryEvent =
  | SubmitEvent
  | AttemptEvent
  | EffectEvent
  | CompensateEvent
  | StepDoneEvent
  | RunDoneEvent
  | FaultStartEvent
  | FaultEndEvent
  | WorkerStartEvent
  | WorkerExitEvent
  | WorldStatsEvent;

export type EventType = HistoryEvent['type'];

/** An event as a writer hands it over: the writer stamps `t`. */
export type NewEvent = HistoryEvent extends infer E ? (E extends HistoryEvent ? Omit<E, 't'> : never) : never;
