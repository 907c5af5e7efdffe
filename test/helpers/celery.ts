/**
 * Celery knobs for tests that want recovery within seconds: a dead worker's unacknowledged
 * messages are restored 3 s after their delivery, swept for every second. The sweep's lock
 * expires after 3 s instead of kombu's 300: a worker killed inside its sweep leaves the lock
 * held, and nobody sweeps until it expires (adapters/celery/README.md, "What governs
 * recovery"). One message reserved per pool process, so no message waits reserved longer
 * than its visibility timeout. Retries back off 0–1 s, 0–2 s… instead of Celery's fixed
 * 180 s. No mingle, gossip or heartbeat: a worker starts a second sooner (many teams run
 * Celery on Redis so).
 */
export const FAST_CELERY_KNOBS = {
  visibility_timeout: 3,
  without_mingle: true,
  without_gossip: true,
  without_heartbeat: true,
  broker_transport_options: {
    unacked_restore_interval: 1,
    unacked_restore_throttle: 1,
    unacked_mutex_expire: 3,
  },
  worker_prefetch_multiplier: 1,
  retry_backoff: true,
};
