import { setTimeout as sleep } from 'node:timers/promises';
import {
  ActivityFailure,
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { temporalConnectionOptions } from '../../core/credentials.js';
import { endpointOption } from '../../core/services.js';
import type { AdapterDriver, ApprovalDecision, DriverContext, RunOutcome } from '../types.js';
import type { TemporalKnobs } from './knobs.js';
import {
  ACTIVITY_ROLE,
  activityTaskQueueName,
  PIPELINE_WORKFLOW,
  type PipelineInput,
  pipelineTemplate,
  taskQueueName,
  workflowId,
} from './protocol.js';
import { approvalSignal } from './workflow.js';

/**
 * Runs whose completion is awaited at once: one long poll per open workflow, as the
 * SDK's `handle.result()` does. The server answers each with a single reply when the
 * workflow closes, so thousands cost little; a smaller pool would not do, since runs
 * do not finish in the order they were submitted (2,000 open runs with 256 waiters:
 * 7 s of p90 observation delay, none with one waiter each). The cap only bounds memory.
 */
const MAX_WAITERS = 10_000;
/** After a failed wait (server restarting, link down), ask again this much later. */
const RETRY_WAIT_MS = 500;

/**
 * The harness side of Temporal: starts one workflow per run and reports each run's
 * final state from `handle.result()`. Waiters have their own connection, so their
 * long polls never hold up submissions or signals. It speaks to the server only, so it
 * drives workflows written in any SDK language that implement the same workflow type,
 * input and signal (protocol.ts): the temporal-python and temporal-polyglot adapters use it.
 */
export class TemporalDriver implements AdapterDriver {
  private connection: Connection | null = null;
  private waitConnection: Connection | null = null;
  private client!: Client;
  private waitClient!: Client;
  private readonly template: Omit<PipelineInput, 'runId'>;
  private readonly taskQueue: string;
  private onRunDone: (outcome: RunOutcome) => void = () => {};
  private stopping = false;
  private readonly queued: string[] = [];
  private head = 0;
  /**
   * Waiters out now, by their own abort controller: the SDK adds an abort listener per
   * call and never removes it, so one controller shared by every waiter would leak.
   */
  private readonly waiters = new Map<AbortController, Promise<void>>();

  constructor(private readonly ctx: DriverContext<TemporalKnobs>) {
    this.taskQueue = taskQueueName(ctx.knobs.taskQueue, ctx.cell);
    // Activity workers of their own (another language's, say): the workflow sends activities to their queue.
    const split = ctx.workers.some((role) => role.role === ACTIVITY_ROLE);
    this.template = pipelineTemplate(
      ctx.plan,
      ctx.knobs,
      split ? activityTaskQueueName(ctx.knobs.taskQueue, ctx.cell) : undefined,
    );
  }

  async setup(): Promise<void> {
    const endpoint = this.ctx.services.temporal;
    if (!endpoint) throw new Error('temporal needs the Temporal server, which was not started');
    // Credentials (mTLS, an API key), when the endpoint says so, from the environment.
    const connect = temporalConnectionOptions(endpoint);
    this.connection = await Connection.connect(connect);
    this.waitConnection = await Connection.connect(connect);
    const namespace = endpointOption(endpoint, 'namespace', 'temporal');
    // Temporal's own OpenTelemetry: starting a workflow is a span of the run's trace, and
    // its context travels in the workflow's headers to the workflow and its activities.
    const interceptors = this.ctx.traces ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : {};
    this.client = new Client({ connection: this.connection, namespace, interceptors });
    this.waitClient = new Client({ connection: this.waitConnection, namespace });
  }

  observe(onRunDone: (outcome: RunOutcome) => void): void {
    this.onRunDone = onRunDone;
  }

  async submit(runId: string): Promise<void> {
    try {
      await this.client.workflow.start(PIPELINE_WORKFLOW, {
        workflowId: workflowId(this.ctx.cell, runId),
        taskQueue: this.taskQueue,
        args: [{ ...this.template, runId } satisfies PipelineInput],
        // A re-submission (running or finished) never starts a second execution.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
      });
    } catch (error) {
      // Already started: the orchestrator holds the run, which is what an acknowledgement means.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    this.queued.push(runId);
    this.pump();
  }

  async signal(runId: string, stepId: string, decision: ApprovalDecision): Promise<void> {
    const handle = this.client.workflow.getHandle(workflowId(this.ctx.cell, runId));
    await handle.signal(approvalSignal, { stepId, approved: decision.approved });
  }

  async teardown(): Promise<void> {
    this.stopping = true;
    for (const abort of this.waiters.keys()) abort.abort();
    await Promise.allSettled(this.waiters.values());
    await this.connection?.close();
    await this.waitConnection?.close();
  }

  /** Starts waiters for queued runs while fewer than MAX_WAITERS are out. */
  private pump(): void {
    while (this.waiters.size < MAX_WAITERS && this.head < this.queued.length && !this.stopping) {
      const runId = this.queued[this.head]!;
      this.queued[this.head++] = '';
      const abort = new AbortController();
      const waiter = this.await(runId, abort.signal).finally(() => {
        this.waiters.delete(abort);
        this.pump();
      });
      this.waiters.set(abort, waiter);
    }
  }

  private async await(runId: string, stop: AbortSignal): Promise<void> {
    const handle = this.waitClient.workflow.getHandle(workflowId(this.ctx.cell, runId));
    while (!stop.aborted) {
      try {
        const output = await this.waitConnection!.withAbortSignal(stop, () => handle.result());
        this.onRunDone({ runId, status: 'completed', output });
        return;
      } catch (error) {
        if (stop.aborted) return;
        if (error instanceof WorkflowFailedError) {
          this.onRunDone({ runId, status: 'failed', output: failureOutput(error) });
          return;
        }
        // The server no longer knows the run (a restart without persistence): it is lost.
        if (error instanceof WorkflowNotFoundError) return;
        // Server restarting or link down: ask again.
        await sleep(RETRY_WAIT_MS, undefined, { signal: stop }).catch(() => {});
      }
    }
  }
}

/** Like BullMQ's: the failed step (its activity id) and the innermost message, the step's own error. */
function failureOutput(error: WorkflowFailedError): { step?: string; reason: string } {
  let step: string | undefined;
  let inner: Error = error;
  while (inner.cause instanceof Error) {
    inner = inner.cause;
    if (inner instanceof ActivityFailure) step = inner.activityId;
  }
  return { ...(step === undefined ? {} : { step }), reason: inner.message };
}
