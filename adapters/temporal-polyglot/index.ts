/**
 * One pipeline across two languages, the way teams put Python model code behind an
 * orchestrator in another language: the workflow runs in TypeScript workers (the temporal
 * adapter's worker, in role `workflow`, running its DAG interpreter) and every step's
 * activity in Python workers (temporal-python's worker, in role `activity`) on a task
 * queue of their own. Driver, knobs and recovery facts are temporal's. It composes the two
 * adapters through the registry, so the code on each side is exactly theirs: what differs
 * from either is only where the language boundary runs.
 */
import { type AnyAdapter, loadAdapter } from '../index.js';
import type { WorkerRoleDeclaration } from '../types.js';

const temporal = await loadAdapter('temporal');
const python = await loadAdapter('temporal-python');

/** An adapter's one worker role (both declare exactly one). */
function onlyRole(adapter: AnyAdapter): WorkerRoleDeclaration {
  const [role, ...more] = adapter.workers;
  if (role === undefined || more.length > 0)
    throw new Error(`temporal-polyglot: adapter ${adapter.name} should declare exactly one worker role`);
  return role;
}

const adapter: AnyAdapter = {
  name: 'temporal-polyglot',
  description:
    'Temporal across two languages: workflows in TypeScript workers, activities in Python workers on their own queue',
  lineage: { family: 'temporal', language: 'typescript workflows, python activities' },
  services: temporal.services,
  links: temporal.links,
  orchestrator: temporal.orchestrator,
  workers: [
    // Runs no steps: it holds the runs' orchestration (a kill of it stalls runs, kills no step).
    { ...onlyRole(temporal), role: 'workflow', runsSteps: false },
    { ...onlyRole(python), role: 'activity' },
  ],
  knobs: temporal.knobs,
  recovery: temporal.recovery,
  ...(temporal.prepare ? { prepare: temporal.prepare } : {}),
  createDriver: temporal.createDriver,
};

export default adapter;
