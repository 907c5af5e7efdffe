import { z } from 'zod';
import { MAX_DURATION_MS } from '../core/limits.js';

/**
 * A scenario is plain JSON-serializable data: a DAG of AI-pipeline steps. Load
 * (rates, run counts) belongs to the experiment, never to the scenario, so one
 * scenario serves every load profile.
 */

/** A work time: its sleep is a Node timer, so it stays within a day. */
const ms = z.number().min(0).max(MAX_DURATION_MS);
const probability = z.number().min(0).max(1);

const DurationSchema = z.discriminatedUnion('dist', [
  z.object({ dist: z.literal('constant'), ms }).strict(),
  z.object({ dist: z.literal('uniform'), minMs: ms, maxMs: ms }).strict(),
  z.object({ dist: z.literal('exponential'), meanMs: ms }).strict(),
  /** Long-tailed, like model APIs: half the calls under medianMs, 1% over p99Ms. */
  z.object({ dist: z.literal('lognormal'), medianMs: ms, p99Ms: ms }).strict(),
]);
export type Duration = z.infer<typeof DurationSchema>;

const STEP_KINDS = ['llm', 'tool', 'compute', 'approval', 'persist', 'fan-out', 'timer'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/**
 * Kinds whose work runs in the worker itself (llm and tool steps wait on the world; approval
 * on a human; a timer on the orchestrator's clock).
 */
export const LOCAL_WORK_KINDS: ReadonlySet<StepKind> = new Set(['compute', 'persist', 'fan-out']);

const StepSpecSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and dashes, starting with a letter'),
    kind: z.enum(STEP_KINDS),
    description: z.string().optional(),
    dependsOn: z.array(z.string()).default([]),
    /** Time the step's work takes: for llm/tool steps the world API takes it, else the worker. */
    work: DurationSchema.default({ dist: 'constant', ms: 0 }),
    /** fan-out steps: how many items they produce. */
    fanOut: z.number().int().min(1).max(10_000).optional(),
    /** Run once per item of this fan-out step (which must be a dependency). */
    forEach: z.string().optional(),
    /** Per-attempt failure probabilities: transient failures are retried, permanent ones are not. */
    failure: z
      .object({ transient: probability.default(0), permanent: probability.default(0) })
      .strict()
      .optional(),
    /** A side effect applied in the world (the effect ledger). */
    effect: z
      .object({ name: z.string().min(1) })
      .strict()
      .optional(),
    /** The effect that undoes `effect` when the run is rolled back (saga). */
    compensation: z
      .object({ name: z.string().min(1) })
      .strict()
      .optional(),
    /** Long steps report liveness this often, so an orchestrator can detect a dead worker early. */
    heartbeat: z
      .object({ everyMs: z.number().positive().max(MAX_DURATION_MS) })
      .strict()
      .optional(),
    /**
     * Long local steps save their progress this often (work milliseconds done), so an
     * attempt after a dead worker can resume from the last checkpoint where the
     * orchestrator keeps it. Only for steps whose work runs in the worker.
     */
    checkpoint: z
      .object({ everyMs: z.number().positive().max(MAX_DURATION_MS) })
      .strict()
      .optional(),
    /**
     * Timer steps: the wait, in ms, from the moment the step's dependencies are done (from
     * the run's submission for a first step) until it fires. The orchestrator keeps the
     * timer (a delayed job, a workflow timer, a countdown); the dependents run once it fired.
     */
    delayMs: z.number().int().min(0).max(MAX_DURATION_MS).optional(),
    /**
     * The version of the input this step's code reads (1 unless a deploy changed it): a call
     * whose payload was built for an older input fails, as new code given an old message would.
     */
    inputVersion: z.number().int().min(1).optional(),
  })
  .strict();
export type StepSpec = z.infer<typeof StepSpecSchema>;

export const ScenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/),
    description: z.string(),
    steps: z.array(StepSpecSchema).min(1),
    /**
     * The latency the pipeline owes its users, when it has one (readiness judges by it);
     * without it, readiness allows the critical path plus a fixed budget for orchestration.
     */
    slo: z.object({ latencyP99Ms: z.number().positive() }).strict().optional(),
  })
  .strict()
  .superRefine((scenario, ctx) => {
    for (const problem of graphProblems(scenario.steps)) ctx.addIssue({ code: 'custom', ...problem });
  });
export type Scenario = z.infer<typeof ScenarioSchema>;

interface GraphProblem {
  path: (string | number)[];
  message: string;
}

/** Structural checks zod cannot express: unknown or cyclic dependencies, fan-out wiring. */
function graphProblems(steps: StepSpec[]): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const index = new Map<string, number>();
  steps.forEach((step, i) => {
    if (index.has(step.id))
      problems.push({ path: ['steps', i, 'id'], message: `duplicate step id "${step.id}"` });
    index.set(step.id, i);
  });
  steps.forEach((step, i) => {
    step.dependsOn.forEach((dep, j) => {
      if (!index.has(dep)) {
        problems.push({
          path: ['steps', i, 'dependsOn', j],
          message: `unknown step "${dep}"; steps are: ${[...index.keys()].join(', ')}`,
        });
      }
    });
    if (step.kind === 'fan-out' && step.fanOut === undefined) {
      problems.push({
        path: ['steps', i, 'fanOut'],
        message: 'a fan-out step needs fanOut (number of items)',
      });
    }
    if (step.compensation !== undefined && step.effect === undefined) {
      problems.push({
        path: ['steps', i, 'compensation'],
        message: 'a compensation undoes an effect: this step has no effect',
      });
    }
    if (step.checkpoint !== undefined && !LOCAL_WORK_KINDS.has(step.kind) && step.kind !== 'timer') {
      problems.push({
        path: ['steps', i, 'checkpoint'],
        message: `a ${step.kind} step's work runs in the world, not in the worker: it has nothing to checkpoint (kinds with local work: ${[...LOCAL_WORK_KINDS].join(', ')})`,
      });
    }
    problems.push(...timerProblems(step, i));
    if (step.forEach !== undefined) {
      const source = steps[index.get(step.forEach) ?? -1];
      if (source?.kind !== 'fan-out') {
        problems.push({ path: ['steps', i, 'forEach'], message: `"${step.forEach}" is not a fan-out step` });
      } else if (!step.dependsOn.includes(step.forEach)) {
        problems.push({ path: ['steps', i, 'forEach'], message: `must also be listed in dependsOn` });
      }
    }
  });
  const cycle = findCycle(steps);
  if (cycle) {
    const at = index.get(cycle[0]!) ?? 0;
    problems.push({ path: ['steps', at, 'dependsOn'], message: `dependency cycle: ${cycle.join(' -> ')}` });
  }
  return problems;
}

/** A timer waits and nothing else: it has a delay, and no work, effect or failure of its own. */
function timerProblems(step: StepSpec, i: number): GraphProblem[] {
  if (step.kind !== 'timer') {
    return step.delayMs === undefined
      ? []
      : [
          {
            path: ['steps', i, 'delayMs'],
            message: `only a timer step has a delay; this is a ${step.kind} step`,
          },
        ];
  }
  const problems: GraphProblem[] = [];
  if (step.delayMs === undefined)
    problems.push({ path: ['steps', i, 'delayMs'], message: 'a timer step needs delayMs (its wait in ms)' });
  const work = step.work;
  if (!(work.dist === 'constant' && work.ms === 0))
    problems.push({ path: ['steps', i, 'work'], message: 'a timer step does no work: its wait is delayMs' });
  for (const key of ['effect', 'compensation', 'failure', 'heartbeat', 'checkpoint', 'fanOut'] as const) {
    if (step[key] !== undefined)
      problems.push({ path: ['steps', i, key], message: `a timer step only waits: it has no ${key}` });
  }
  return problems;
}

function findCycle(steps: StepSpec[]): string[] | null {
  const deps = new Map(steps.map((s) => [s.id, s.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done' || !deps.has(id)) return null;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const step of steps) {
    const found = visit(step.id);
    if (found) return found;
  }
  return null;
}
