/** Shapes of the world's HTTP API and of its messages to the harness. */

export interface WorkRequest {
  cell: string;
  runId: string;
  stepId: string;
  attempt: number;
  /** How long the simulated API takes, drawn by the caller from the step's distribution. */
  ms: number;
}

export interface EffectRequest {
  cell: string;
  runId: string;
  stepId: string;
  name: string;
  key: string | null;
  correlationId: string;
}

export interface EffectResponse {
  deduplicated: boolean;
}

export interface ApprovalRequest {
  cell: string;
  runId: string;
  stepId: string;
}

/** World API misbehaviour, set by chaos (model-API outages, slow responses). */
export interface WorldFaults {
  /** Share of model calls answered with an error, 0..1. */
  modelErrorRate: number;
  /** Status of those errors: 5xx, or 429 with Retry-After. */
  modelErrorStatus: number;
  retryAfterSeconds: number;
  /** Added to every model and tool call. */
  extraLatencyMs: number;
}

export const NO_WORLD_FAULTS: WorldFaults = {
  modelErrorRate: 0,
  modelErrorStatus: 503,
  retryAfterSeconds: 1,
  extraLatencyMs: 0,
};

export interface ApproverSettings {
  /** How long the human takes to answer. */
  delayMs: number;
  /** Share of requests the human rejects, 0..1. */
  rejectRate: number;
}

/** harness → world (IPC). */
export type ToWorld =
  | { type: 'faults'; faults: Partial<WorldFaults> }
  | { type: 'approver'; settings: ApproverSettings }
  | { type: 'stats' };

/** world → harness (IPC). */
export type FromWorld =
  | { type: 'ready'; port: number }
  | { type: 'approval'; cell: string; runId: string; stepId: string; approved: boolean }
  | { type: 'stats'; requests: number; cpuUtilisation: number | null };
