import type { Scenario, StepSpec } from './model.js';

/**
 * A scenario's steps expanded into the step instances one run executes: a step
 * with `forEach` becomes one instance per item (`embed#0`, `embed#1`, …). The
 * instance id is the `stepId` of every history event.
 */
export interface StepInstance {
  id: string;
  spec: StepSpec;
  /** Item index for per-item steps. */
  item?: number;
  /** Instance ids that must complete before this one starts. */
  dependsOn: string[];
}

export interface RunPlan {
  scenario: string;
  instances: StepInstance[];
  byId: Map<string, StepInstance>;
  /** Instance id → instances that depend on it. */
  dependents: Map<string, string[]>;
  /** Instances with no dependencies: where every run starts. */
  roots: string[];
  /** Instances that apply an effect: a completed run must have each applied once. */
  effectSteps: string[];
  /**
   * Whether a run may legitimately end failed: some step can fail (for good, or
   * transiently until its retries run out) or a human can reject it. When not, a
   * failed run is work the orchestrator gave up on: the checker counts it as lost.
   */
  canFail: boolean;
  /** Instances that declare a compensation: the effects a saga undoes. */
  compensableSteps: string[];
  /**
   * The saga rule, decided here and nowhere else: a run of this scenario that fails
   * must undo (compensate) every effect it applied whose step declares a
   * compensation, last applied first. True when the scenario declares compensations
   * and can fail. Both adapters run their saga on it and the checker judges failed
   * runs by it (CellMeta.requireCompensationOnFailure). A scenario that declares a
   * compensation but cannot fail (rag-ingest) never rolls back.
   */
  rollsBackOnFailure: boolean;
  /** Instances that checkpoint their work (`checkpoint`): where redone work is measured. */
  checkpointedSteps: string[];
}

function instanceId(stepId: string, item?: number): string {
  return item === undefined ? stepId : `${stepId}#${item}`;
}

export function planRun(scenario: Scenario): RunPlan {
  const specs = new Map(scenario.steps.map((s) => [s.id, s]));
  const itemsOf = (spec: StepSpec): number | undefined =>
    spec.forEach === undefined ? undefined : (specs.get(spec.forEach)?.fanOut ?? 1);
  const instancesOf = (spec: StepSpec): string[] => {
    const items = itemsOf(spec);
    if (items === undefined) return [spec.id];
    return Array.from({ length: items }, (_, i) => instanceId(spec.id, i));
  };

  const instances: StepInstance[] = [];
  for (const spec of scenario.steps) {
    const items = itemsOf(spec);
    const count = items ?? 1;
    for (let i = 0; i < count; i++) {
      const item = items === undefined ? undefined : i;
      const dependsOn = spec.dependsOn.flatMap((depId) => {
        const dep = specs.get(depId)!;
        // Per-item steps over the same fan-out pair up item by item (embed#2 after chunk-clean#2).
        if (item !== undefined && dep.forEach !== undefined && dep.forEach === spec.forEach) {
          return [instanceId(depId, item)];
        }
        return instancesOf(dep);
      });
      instances.push({ id: instanceId(spec.id, item), spec, item, dependsOn });
    }
  }

  const byId = new Map(instances.map((inst) => [inst.id, inst]));
  const dependents = new Map<string, string[]>(instances.map((inst) => [inst.id, []]));
  for (const inst of instances) for (const dep of inst.dependsOn) dependents.get(dep)!.push(inst.id);
  const canFail = scenario.steps.some(
    (s) => s.kind === 'approval' || (s.failure?.permanent ?? 0) > 0 || (s.failure?.transient ?? 0) > 0,
  );
  const compensableSteps = instances.filter((i) => i.spec.compensation !== undefined).map((i) => i.id);
  return {
    scenario: scenario.name,
    instances,
    byId,
    dependents,
    roots: instances.filter((i) => i.dependsOn.length === 0).map((i) => i.id),
    effectSteps: instances.filter((i) => i.spec.effect !== undefined).map((i) => i.id),
    canFail,
    compensableSteps,
    rollsBackOnFailure: canFail && compensableSteps.length > 0,
    checkpointedSteps: instances.filter((i) => i.spec.checkpoint !== undefined).map((i) => i.id),
  };
}

/**
 * The order a saga undoes a failed run's effects: the compensable steps among those
 * that completed, last completed first, each once. `completed` is in completion
 * order as the orchestrator saw it (repeats are ignored: the first completion counts).
 */
export function compensationOrder(plan: RunPlan, completed: readonly string[]): string[] {
  const compensable = new Set(plan.compensableSteps);
  const seen = new Set<string>();
  const order: string[] = [];
  for (const stepId of completed) {
    if (!compensable.has(stepId) || seen.has(stepId)) continue;
    seen.add(stepId);
    order.push(stepId);
  }
  return order.reverse();
}

/**
 * The step instances of several versions of one scenario, for a checker that must follow
 * runs on either (a deploy): every instance of any version, each once, first as the first
 * version that has it declares it; a step's dependencies are those every version holding it
 * agrees on, so ordering is checked where the versions agree and not where a deploy changed
 * it. Effects, compensations and checkpoints are those of any version.
 */
export function unionPlan(plans: readonly RunPlan[]): RunPlan {
  const [first] = plans;
  if (!first) throw new Error('unionPlan needs at least one plan');
  if (plans.length === 1) return first;
  const instances: StepInstance[] = [];
  const seen = new Set<string>();
  for (const plan of plans) {
    for (const inst of plan.instances) {
      if (seen.has(inst.id)) continue;
      seen.add(inst.id);
      const holders = plans.flatMap((p) => {
        const held = p.byId.get(inst.id);
        return held ? [held] : [];
      });
      const dependsOn = inst.dependsOn.filter((dep) => holders.every((h) => h.dependsOn.includes(dep)));
      instances.push({ ...inst, dependsOn });
    }
  }
  const byId = new Map(instances.map((inst) => [inst.id, inst]));
  const dependents = new Map<string, string[]>(instances.map((inst) => [inst.id, []]));
  for (const inst of instances) for (const dep of inst.dependsOn) dependents.get(dep)?.push(inst.id);
  const union = (read: (p: RunPlan) => string[]) => [...new Set(plans.flatMap(read))];
  return {
    scenario: first.scenario,
    instances,
    byId,
    dependents,
    roots: instances.filter((i) => i.dependsOn.length === 0).map((i) => i.id),
    effectSteps: union((p) => p.effectSteps),
    canFail: plans.some((p) => p.canFail),
    compensableSteps: union((p) => p.compensableSteps),
    rollsBackOnFailure: plans.some((p) => p.rollsBackOnFailure),
    checkpointedSteps: union((p) => p.checkpointedSteps),
  };
}
