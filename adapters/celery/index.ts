import type { AdapterDefinition, WorkerRoleDeclaration } from '../types.js';
import { CeleryDriver } from './driver.js';
import {
  type CeleryKnobs,
  CeleryKnobsSchema,
  KOMBU_UNACKED_RESTORE_INTERVAL_S,
  KOMBU_UNACKED_RESTORE_THROTTLE,
  restoreLockSeconds,
  restoreSweepSeconds,
} from './knobs.js';
import { PYTHON_DIR } from './python.js';

/** A Celery worker is a main process and its pool: a deploy or a lost node takes them all. */
function celeryWorkers(pool: CeleryKnobs['pool']): WorkerRoleDeclaration[] {
  return [
    {
      role: 'worker',
      command: { runtime: 'python', module: 'faultline_celery.worker', pythonPath: [PYTHON_DIR] },
      killScope: 'group',
      poolChildren: pool === 'prefork',
    },
  ];
}

const adapter: AdapterDefinition<CeleryKnobs> = {
  name: 'celery',
  description:
    'Job queue: Celery on Redis with Python workers, a run as a canvas (chain of step tasks, chords for fan-in)',
  lineage: { family: 'celery', language: 'python' },
  services: ['redis'],
  links: [{ name: 'broker', fronts: 'redis' }],
  orchestrator: { link: 'broker', service: 'redis' },
  workers: celeryWorkers('prefork'),
  workersFor: (k) => celeryWorkers(k.pool),
  knobs: CeleryKnobsSchema,
  // A dead worker's unacknowledged messages (every reserved one; the running ones too with
  // acks_late) go back to the queue once their visibility timeout passed, at the next sweep
  // of some live worker for such messages. Running tasks acknowledged early (acks_late off)
  // never come back: governedBy says which case holds. A worker killed inside its sweep
  // leaves the sweep's lock held until it expires: until then nobody sweeps.
  recovery: (k) => {
    const interval = k.broker_transport_options.unacked_restore_interval;
    const throttle = k.broker_transport_options.unacked_restore_throttle;
    const waitS = Math.max(k.visibility_timeout, restoreLockSeconds(k));
    return {
      boundMs: Math.round((waitS + restoreSweepSeconds(k)) * 1000),
      governedBy: {
        visibility_timeout: k.visibility_timeout,
        unacked_restore_interval: typeof interval === 'number' ? interval : KOMBU_UNACKED_RESTORE_INTERVAL_S,
        unacked_restore_throttle: typeof throttle === 'number' ? throttle : KOMBU_UNACKED_RESTORE_THROTTLE,
        unacked_mutex_expire: restoreLockSeconds(k),
        acks_late: k.acks_late,
        task_reject_on_worker_lost: k.task_reject_on_worker_lost,
      },
    };
  },
  createDriver: (ctx) => new CeleryDriver(ctx),
  bench: {
    // A producer sending no-op tasks with send_task and joining their results, one Celery
    // worker with one no-op task; same knobs, so the same pool (prefork) at the same concurrency.
    bare: {
      producer: { runtime: 'python', module: 'faultline_celery_bare.producer', pythonPath: [PYTHON_DIR] },
      worker: { runtime: 'python', module: 'faultline_celery_bare.worker', pythonPath: [PYTHON_DIR] },
    },
    knobs: (concurrency) => ({ concurrency }),
    // Celery publishes and completes a task in Python on each side: fewer runs than BullMQ's make seconds of load.
    defaultRuns: 5_000,
  },
};

export default adapter;
