/**
 * Bare BullMQ, the worker (the bench's yardstick; scenarios/bare-protocol.ts): one Worker at
 * the bench's concurrency with the adapter's delivery knobs, running no-op jobs. Nothing
 * of Faultline runs here: no step runtime, no history.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { redisClientOptions } from '../../../core/credentials.js';
import { announceReady, exitWithTheBench, readBareConfig } from '../../../scenarios/bare-protocol.js';
import type { BullmqKnobs } from '../knobs.js';

const config = readBareConfig<BullmqKnobs>();
const { knobs } = config;
const connection = new Redis({ ...redisClientOptions(config.services.redis!), maxRetriesPerRequest: null });
const worker = new Worker(config.name, async () => {}, {
  connection,
  concurrency: config.concurrency,
  lockDuration: knobs.lockDuration,
  stalledInterval: knobs.stalledInterval,
  maxStalledCount: knobs.maxStalledCount,
});
exitWithTheBench(async () => {
  await worker.close();
  connection.disconnect();
});
await worker.waitUntilReady();
announceReady(config);
