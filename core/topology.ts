/**
 * What an adapter declares about itself as data, so the core can obey without naming
 * it: the services it needs, the network links its workers go through, its worker
 * processes and what killing one means, and the numbers that govern its recovery.
 * The resolved topology of every adapter is recorded in config.json, so reports never
 * ask adapter code for a number.
 */
import type { ServiceName } from './services.js';

/** A Toxiproxy link between the workers and one service; fault schedules target it by name. */
export interface LinkDeclaration {
  /** Public name, e.g. `broker`: `target: broker` in a schedule, and the key of the worker's endpoint. */
  name: string;
  /** The service it fronts, e.g. `redis`. */
  fronts: ServiceName;
}

/** How the supervisor starts one kind of worker process (OMB's driver-per-language, omes's workers). */
export type WorkerCommand =
  /** A TypeScript or JavaScript entry point, run by this Node with the tsx loader. */
  | { runtime: 'node'; entry: string; args?: string[] }
  /** A Python module, run with the project's virtual environment (`python -m module`). */
  | { runtime: 'python'; module: string; args?: string[]; pythonPath?: string[] }
  /** Any program. */
  | { runtime: 'exec'; argv: string[] };

/** One kind of worker process an adapter runs (most have one; a cross-language pipeline has two). */
export interface WorkerRoleDeclaration {
  /** Names the role in worker ids (`<adapter>-<role>-w1`; the role is left out when it is `worker`). */
  role: string;
  command: WorkerCommand;
  /**
   * What a kill of this worker hits: `process`, the one process; `group`, its whole
   * process group (a worker with pool children, as a deploy or a lost node takes it).
   */
  killScope: 'process' | 'group';
  /** The worker runs its steps in child processes (a prefork pool), which a fault can kill one by one. */
  poolChildren: boolean;
  /**
   * Whether its workers execute steps through the step runtime (absent: true). A role that
   * only orchestrates (a Temporal workflow worker whose activities run elsewhere) runs
   * none: it never has steps in flight, never reaches a failpoint, and a kill of it
   * interrupts no step, only the orchestration state it holds.
   */
  runsSteps?: boolean;
}

/** Whether a role's workers execute steps (`runsSteps` absent means they do). */
export const runsSteps = (role: Pick<WorkerRoleDeclaration, 'runsSteps'>): boolean =>
  role.runsSteps !== false;

/** A knob value as recorded: the knobs are the adapter's, their values plain JSON. */
export type KnobValue = string | number | boolean | null;

/**
 * The adapter's recovery facts for one knob set: how long, at most, work held by a worker
 * that died mid-step stays unclaimed before the orchestrator hands it out again, and the
 * knobs that set that bound (reports print them next to every recovery figure).
 */
export interface RecoveryFacts {
  boundMs: number;
  governedBy: Readonly<Record<string, KnobValue>>;
}

/**
 * Which orchestrator an adapter drives and in which language its workers are written, so
 * reports can pair adapters that run the same orchestrator in different languages (the
 * language-parity section) without matching names.
 */
export interface AdapterLineage {
  /** The orchestrator family, e.g. `temporal`: adapters of one family run the same system. */
  family: string;
  /**
   * The language of its workers as people name it (`typescript`, `python`), or of each role
   * where they differ (`typescript workflows, python activities`).
   */
  language: string;
}

/** An adapter's declaration, resolved for one knob set: as config.json records it. */
export interface AdapterTopology {
  name: string;
  /** Absent for adapters that declare none (a user's module may not). */
  lineage?: AdapterLineage;
  services: readonly ServiceName[];
  links: readonly LinkDeclaration[];
  /** The link `orchestrator` means in a schedule, and the service `backend` means. */
  orchestrator: { link: string; service: ServiceName };
  workers: readonly WorkerRoleDeclaration[];
  recovery: RecoveryFacts;
}

/** "lockDuration=30000, stalledInterval=30000": governing knobs as people read them. */
export function governedByText(governedBy: Readonly<Record<string, KnobValue>>): string {
  return Object.entries(governedBy)
    .map(([knob, value]) => `${knob}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}
