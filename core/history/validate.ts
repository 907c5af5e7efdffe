import type { EventType } from './events.js';

/**
 * What a history line must hold to be read as an event: the fields every reader relies
 * on, checked with typeof (cheap enough for a million lines). A line that fails is named
 * with its file and line number by the reader, never skipped: a history is evidence, and
 * a checker that silently drops a line can pass a run that lost work.
 */
type FieldType = 'string' | 'number' | 'boolean' | 'string|null';

const REQUIRED: Record<EventType, Record<string, FieldType>> = {
  'history-start': { schemaVersion: 'number' },
  'run-interrupted': { signal: 'string' },
  'cell-start': { drainTimeoutMs: 'number' },
  'cell-end': { undone: 'number' },
  submit: { runId: 'string', intendedAt: 'number' },
  'submit-refused': { runId: 'string', intendedAt: 'number' },
  attempt: { runId: 'string', stepId: 'string', worker: 'string', attempt: 'number' },
  effect: { runId: 'string', stepId: 'string', key: 'string|null', deduplicated: 'boolean' },
  compensate: { runId: 'string', stepId: 'string', key: 'string|null', deduplicated: 'boolean' },
  'step-done': { runId: 'string', stepId: 'string', worker: 'string', attempt: 'number', outcome: 'string' },
  'run-done': { runId: 'string', status: 'string' },
  'fault-start': { faultId: 'string', fault: 'string', target: 'string' },
  'fault-end': { faultId: 'string', fault: 'string', target: 'string' },
  'worker-start': { worker: 'string', pid: 'number' },
  'worker-exit': { worker: 'string', pid: 'number' },
  'world-stats': { requests: 'number' },
  'fault-unfired': { faultId: 'string', fault: 'string', reason: 'string' },
  'worker-usage': { worker: 'string', pid: 'number', cpuMs: 'number' },
  'timer-fired': {
    runId: 'string',
    stepId: 'string',
    worker: 'string',
    attempt: 'number',
    intendedAt: 'number',
  },
  'process-usage': {},
  'stack-start': { setupMs: 'number', workersMs: 'number' },
  'version-conflict': { runId: 'string', worker: 'string' },
};

const ENUMS: Partial<Record<EventType, Record<string, readonly string[]>>> = {
  'step-done': { outcome: ['ok', 'transient-error', 'permanent-error'] },
  'run-done': { status: ['completed', 'failed'] },
};

const isType = (value: unknown, type: FieldType): boolean => {
  if (type === 'string|null') return value === null || typeof value === 'string';
  if (type === 'number') return typeof value === 'number' && Number.isFinite(value);
  return typeof value === type;
};

/** Why a parsed line is not a history event, or undefined when it is one. */
export function eventProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `not a history event (${JSON.stringify(value)?.slice(0, 40)})`;
  }
  const event = value as Record<string, unknown>;
  const type = event.type;
  if (typeof type !== 'string') return 'not a history event (no "type")';
  const required = REQUIRED[type as EventType];
  if (required === undefined) return `unknown event type "${type}"`;
  if (!isType(event.t, 'number')) return `${type} event without a numeric "t"`;
  if (typeof event.cell !== 'string') return `${type} event without a "cell"`;
  for (const [field, fieldType] of Object.entries(required)) {
    if (!isType(event[field], fieldType)) return `${type} event with a missing or bad "${field}"`;
  }
  for (const [field, values] of Object.entries(ENUMS[type as EventType] ?? {})) {
    if (!values.includes(event[field] as string))
      return `${type} event with "${field}" ${JSON.stringify(event[field])}; valid: ${values.join(', ')}`;
  }
  return undefined;
}
