/**
 * Bare Temporal's workflow (the bench's yardstick; scenarios/bare-protocol.ts): one no-op
 * activity, with the adapter's activity timeout and retry policy in the input. Bundled by
 * the bare worker; imports only @temporalio/workflow, plus types.
 */
import { type ActivityOptions, proxyActivities } from '@temporalio/workflow';
import type { BareActivities } from './worker.js';

export async function bareNoop(activity: ActivityOptions): Promise<void> {
  await proxyActivities<BareActivities>(activity).noop();
}
