import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import celery from '../../adapters/celery/index.js';
import {
  CELERY_NAMES,
  CeleryKnobsSchema,
  KOMBU_UNACKED_MUTEX_EXPIRE_S,
} from '../../adapters/celery/knobs.js';
import { PYTHON_DIR } from '../../adapters/celery/python.js';
import { describeZodError } from '../../core/errors.js';
import { topologyOf } from '../../harness/runner/resolve.js';
import { pythonExecutable, REPO_ROOT } from '../../harness/tools.js';

/** Celery's and kombu's own defaults, read from the installed libraries. */
function libraryDefaults(): Record<string, unknown> {
  const script = `
import inspect, json
from celery import Celery
from celery.app.autoretry import add_autoretry_behaviour
from celery.app.defaults import DEFAULTS
from kombu.transport.redis import Channel
task = Celery(set_as_current=False).Task
# The backoff defaults live in the autoretry wrapper, as values it closes over.
class Bare:
    def run(self): pass
bare = Bare()
add_autoretry_behaviour(bare, autoretry_for=(ValueError,))
wrapper = inspect.getclosurevars(bare.run).nonlocals
print(json.dumps({
  "acks_late": DEFAULTS["task_acks_late"],
  "task_reject_on_worker_lost": DEFAULTS["task_reject_on_worker_lost"],
  "worker_prefetch_multiplier": DEFAULTS["worker_prefetch_multiplier"],
  "worker_pool": DEFAULTS["worker_pool"],
  "max_retries": task.max_retries,
  "default_retry_delay": task.default_retry_delay,
  "retry_backoff": bool(wrapper["retry_backoff"]),
  "retry_backoff_max": wrapper["retry_backoff_max"],
  "retry_jitter": wrapper["retry_jitter"],
  "visibility_timeout": Channel.visibility_timeout,
  "unacked_restore_interval": Channel.unacked_restore_interval,
  "unacked_restore_throttle": Channel.unacked_restore_throttle,
  "unacked_mutex_expire": Channel.unacked_mutex_expire,
}))`;
  const out = execFileSync(pythonExecutable(), ['-c', script], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: [PYTHON_DIR, join(REPO_ROOT, 'scenarios', 'python')].join(':') },
  });
  return JSON.parse(out) as Record<string, unknown>;
}

describe('Celery knobs', () => {
  it("default to Celery's and kombu's own, as the installed libraries define them", () => {
    const knobs = CeleryKnobsSchema.parse({});
    const lib = libraryDefaults();
    expect(knobs).toMatchObject({
      acks_late: lib.acks_late,
      // Celery's default is None, which the worker reads as off.
      task_reject_on_worker_lost: lib.task_reject_on_worker_lost ?? false,
      worker_prefetch_multiplier: lib.worker_prefetch_multiplier,
      pool: lib.worker_pool,
      max_retries: lib.max_retries,
      default_retry_delay: lib.default_retry_delay,
      retry_backoff: lib.retry_backoff,
      retry_backoff_max: lib.retry_backoff_max,
      retry_jitter: lib.retry_jitter,
      visibility_timeout: lib.visibility_timeout,
      // Celery's worker_concurrency default: the number of CPUs.
      concurrency: availableParallelism(),
    });
    // Recovery at the defaults: an hour of visibility timeout (longer than the restore lock's
    // five minutes), plus kombu's restore sweep.
    const sweep = Number(lib.unacked_restore_interval) * Number(lib.unacked_restore_throttle);
    const wait = Math.max(Number(lib.visibility_timeout), Number(lib.unacked_mutex_expire));
    expect(celery.recovery(knobs)).toEqual({
      boundMs: (wait + sweep) * 1000,
      governedBy: {
        visibility_timeout: lib.visibility_timeout,
        unacked_restore_interval: lib.unacked_restore_interval,
        unacked_restore_throttle: lib.unacked_restore_throttle,
        unacked_mutex_expire: lib.unacked_mutex_expire,
        acks_late: false,
        task_reject_on_worker_lost: false,
      },
    });
  });

  it('name a setting or transport option that does not exist, with the valid names', () => {
    const bad = CeleryKnobsSchema.safeParse({
      settings: { task_acks_lat: true, broker_url: 'redis://elsewhere' },
      broker_transport_options: { visiblity_timeout: 10 },
    });
    expect(bad.success).toBe(false);
    const message = describeZodError(bad.error!, 'knobs');
    expect(message).toMatch(/settings\.task_acks_lat: unknown name; valid names: .*task_acks_on_failure/);
    expect(message).toMatch(/settings\.broker_url: not settable here/);
    expect(message).toMatch(
      /broker_transport_options\.visiblity_timeout: unknown name; valid names: .*unacked_restore_interval/,
    );
    expect(CELERY_NAMES.settings).toContain('task_time_limit');
  });

  it('give a thread pool no pool children, so a child kill is refused for it', () => {
    const prefork = topologyOf(celery, CeleryKnobsSchema.parse({}));
    const threads = topologyOf(celery, CeleryKnobsSchema.parse({ pool: 'threads' }));
    expect(prefork.workers.map((w) => [w.killScope, w.poolChildren])).toEqual([['group', true]]);
    expect(threads.workers.map((w) => w.poolChildren)).toEqual([false]);
  });

  it('count the restore sweep kombu is given, in recovery', () => {
    const knobs = CeleryKnobsSchema.parse({
      visibility_timeout: 5,
      broker_transport_options: {
        unacked_restore_interval: 1,
        unacked_restore_throttle: 2,
        unacked_mutex_expire: 4,
      },
    });
    expect(celery.recovery(knobs).boundMs).toBe((5 + 1 * 2) * 1000);
  });

  it('count the restore lock a worker killed inside its sweep leaves, when it outlasts the visibility timeout', () => {
    const sweep = { unacked_restore_interval: 1, unacked_restore_throttle: 1 };
    const atKombuDefault = CeleryKnobsSchema.parse({
      visibility_timeout: 5,
      broker_transport_options: sweep,
    });
    const shortened = CeleryKnobsSchema.parse({
      visibility_timeout: 5,
      broker_transport_options: { ...sweep, unacked_mutex_expire: 8 },
    });
    // kombu's lock lives 300 s (the first test reads that from kombu): nobody restores anything until it expires.
    expect(celery.recovery(atKombuDefault)).toMatchObject({
      boundMs: (KOMBU_UNACKED_MUTEX_EXPIRE_S + 1) * 1000,
      governedBy: { visibility_timeout: 5, unacked_mutex_expire: KOMBU_UNACKED_MUTEX_EXPIRE_S },
    });
    expect(celery.recovery(shortened)).toMatchObject({
      boundMs: (8 + 1) * 1000,
      governedBy: { unacked_mutex_expire: 8 },
    });
  });
});
