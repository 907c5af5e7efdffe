/**
 * Bare Temporal, the producer (scenarios/bare-protocol.ts): starts the bench's no-op
 * workflows as fast as the server takes them, and awaits each one's result the way a
 * Temporal user would (`handle.result()`), on a connection of its own so the long polls
 * never queue behind the starts (as the Faultline driver does).
 */
import { Client, Connection } from '@temporalio/client';
import type { ActivityOptions } from '@temporalio/workflow';
import { temporalConnectionOptions } from '../../../core/credentials.js';
import { endpointOption } from '../../../core/services.js';
import { readBareConfig, reportResult } from '../../../scenarios/bare-protocol.js';
import type { TemporalKnobs } from '../knobs.js';

const config = readBareConfig<TemporalKnobs>();
const { runs, knobs } = config;
const endpoint = config.services.temporal!;
const namespace = endpointOption(endpoint, 'namespace', 'temporal');
const [starts, waits] = await Promise.all([
  Connection.connect(temporalConnectionOptions(endpoint)),
  Connection.connect(temporalConnectionOptions(endpoint)),
]);
const client = new Client({ connection: starts, namespace });
const waitClient = new Client({ connection: waits, namespace });
// The adapter's activity timeout and retry policy (maximumAttempts 0 is Temporal's "unlimited": left out).
const { maximumAttempts, ...retry } = knobs.retry;
const activity: ActivityOptions = {
  startToCloseTimeout: knobs.startToCloseTimeout,
  retry: maximumAttempts > 0 ? { ...retry, maximumAttempts } : retry,
};

let completed = 0;
const startedAt = performance.now();
const done = Array.from({ length: runs }, async (_, i) => {
  const workflowId = `${config.name}-${i}`;
  await client.workflow.start('bareNoop', { workflowId, taskQueue: config.name, args: [activity] });
  await waitClient.workflow.getHandle(workflowId).result();
  completed++;
  return performance.now();
});
const finishedAt = Math.max(...(await Promise.all(done)));
reportResult(config, { completed, seconds: (finishedAt - startedAt) / 1000 });
await Promise.all([starts.close(), waits.close()]);
process.exit(0);
