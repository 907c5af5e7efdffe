import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { context, propagation } from '@opentelemetry/api';
import { InfrastructureError } from '../../core/errors.js';
import { TRACES_DIR } from '../../core/traces.js';
import type { Scenario } from '../../scenarios/model.js';
import type { AdapterDriver, ApprovalDecision, DriverContext, HelperProcess, RunOutcome } from '../types.js';
import type { CeleryKnobs } from './knobs.js';
import { PYTHON_DIR } from './python.js';

const READY_TIMEOUT_MS = 60_000;

/** What the driver writes to the submitter's stdin (faultline_celery/submitter.py). */
type SubmitterRequest =
  | {
      op: 'submit';
      runId: string;
      /** The W3C trace context of the run's root span, current while the harness submits (traced runs). */
      traceparent?: string;
    }
  | { op: 'signal'; runId: string; stepId: string; approved: boolean }
  | { op: 'deploy'; version: number; scenario: Scenario };

/** The W3C `traceparent` of the span active now, if any. */
function activeTraceparent(): string | undefined {
  const carrier: { traceparent?: string } = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** What the submitter writes on stdout (faultline_celery/submitter.py). */
type SubmitterLine =
  | { op: 'ready' }
  | { op: 'ack'; id: number }
  | { op: 'error'; id: number; reason: string }
  | { op: 'done'; runId: string; status: 'completed' | 'failed'; output?: unknown };

/**
 * The harness side of Celery: a thin pipe to the cell's submitter, a Python process that
 * publishes each run's canvas with Celery's own `apply_async` (what reaches Redis is what a
 * Python application sends) and reports each run's outcome from the result backend. The
 * driver only relays: every submission and signal is acknowledged by the submitter once
 * Celery published it. Traced, each submission carries its run's trace context, which the
 * submitter publishes the run in (Celery's own instrumentation takes it on from there).
 */
export class CeleryDriver implements AdapterDriver {
  private helper: HelperProcess | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  /** Submissions not acknowledged yet: a run's outcome is reported after its submission. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private onRunDone: (outcome: RunOutcome) => void = () => {};
  private gone: Error | null = null;
  private ready: { resolve: () => void; reject: (error: Error) => void } | null = null;

  constructor(private readonly ctx: DriverContext<CeleryKnobs>) {}

  async setup(): Promise<void> {
    const redis = this.ctx.services.redis;
    if (!redis) throw new Error('celery needs Redis, which was not started');
    const name = `celery-submitter-${this.ctx.cell.replaceAll(/[^A-Za-z0-9-]/g, '_')}`;
    const dir = join(this.ctx.runDir, 'workers', this.ctx.cell.replaceAll('/', '_'));
    mkdirSync(dir, { recursive: true });
    const configPath = join(dir, `${name}.json`);
    const config = {
      cell: this.ctx.cell,
      scenario: this.ctx.scenario,
      knobs: this.ctx.knobs,
      redis: { host: redis.host, port: redis.port },
      // Its publish spans: a span file of its own in the run's traces folder.
      traces: this.ctx.traces ? { path: join(this.ctx.runDir, TRACES_DIR, `${name}.jsonl`) } : null,
    };
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
    const ready = new Promise<void>((resolve, reject) => {
      this.ready = { resolve, reject };
    });
    const helper = this.ctx.startHelper(name, {
      runtime: 'python',
      module: 'faultline_celery.submitter',
      pythonPath: [PYTHON_DIR],
      args: [configPath],
    });
    this.helper = helper;
    helper.onLine((line) => this.onLine(line));
    const log = join(this.ctx.runDir, 'logs', `${name}.log`);
    void helper.exited.then(({ code, signal }) => {
      this.gone = new Error(`the Celery submitter exited (code ${code}, signal ${signal}); see ${log}`);
      this.ready?.reject(this.gone);
      for (const { reject } of this.waiting.values()) reject(this.gone);
      this.waiting.clear();
    });
    const timer = setTimeout(
      () => this.ready?.reject(new Error(`no ready line within ${READY_TIMEOUT_MS} ms; see ${log}`)),
      READY_TIMEOUT_MS,
    );
    try {
      await ready;
    } catch (error) {
      throw new InfrastructureError(`the Celery submitter did not start: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  observe(onRunDone: (outcome: RunOutcome) => void): void {
    this.onRunDone = onRunDone;
  }

  submit(runId: string): Promise<void> {
    const traceparent = this.ctx.traces ? activeTraceparent() : undefined;
    const acknowledged = this.request({ op: 'submit', runId, ...(traceparent ? { traceparent } : {}) });
    const settled = acknowledged.catch(() => {});
    this.inFlight.set(runId, settled);
    void settled.then(() => this.inFlight.delete(runId));
    return acknowledged;
  }

  signal(runId: string, stepId: string, decision: ApprovalDecision): Promise<void> {
    return this.request({ op: 'signal', runId, stepId, approved: decision.approved });
  }

  /** The application is deployed with the workers: canvases from now on are the new version's. */
  deployed(update: { version: number; scenario: Scenario }): Promise<void> {
    return this.request({ op: 'deploy', version: update.version, scenario: update.scenario });
  }

  async teardown(): Promise<void> {
    await this.helper?.stop();
  }

  private request(message: SubmitterRequest): Promise<void> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.helper!.send(JSON.stringify({ ...message, id }));
    });
  }

  private onLine(line: string): void {
    let message: SubmitterLine;
    try {
      message = JSON.parse(line) as SubmitterLine;
    } catch {
      return; // not a protocol line (a library printing to stdout): the log has stderr
    }
    switch (message.op) {
      case 'ready':
        this.ready?.resolve();
        return;
      case 'ack':
      case 'error': {
        const waiter = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        if (message.op === 'ack') waiter?.resolve();
        else waiter?.reject(new Error(message.reason));
        return;
      }
      case 'done': {
        const outcome: RunOutcome = {
          runId: message.runId,
          status: message.status,
          ...(message.output === undefined || message.output === null ? {} : { output: message.output }),
        };
        // The harness records the submit when the acknowledgement resolves: report after it.
        const pending = this.inFlight.get(message.runId);
        if (pending) void pending.then(() => this.onRunDone(outcome));
        else this.onRunDone(outcome);
        return;
      }
    }
  }
}
