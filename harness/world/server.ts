import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HistoryWriter } from '../../core/history/writer.js';
import { deriveSeed, seededRng } from '../../core/random.js';
import {
  type ApprovalRequest,
  type ApproverSettings,
  type EffectRequest,
  type FromWorld,
  NO_WORLD_FAULTS,
  type WorkRequest,
  type WorldFaults,
} from '../../core/world-protocol.js';
import { EffectLedger } from './ledger.js';

/**
 * The simulated outside world: a model API, a tool API, a data store that
 * receives effects (the ledger) and a human approver. Per-request work is kept
 * tiny (parse, one timer, one history line): the world must never be the bottleneck.
 */
export interface World {
  readonly port: number;
  setFaults(faults: Partial<WorldFaults>): void;
  setApprover(settings: ApproverSettings): void;
  stats(): { requests: number };
  close(): Promise<void>;
}

export interface WorldOptions {
  history: HistoryWriter;
  /** Where approval decisions go (the harness relays them to the adapter). */
  onDecision: (message: Extract<FromWorld, { type: 'approval' }>) => void;
  port?: number;
}

/**
 * Every cell of an experiment runs the same run ids against this one world: a key is
 * only ever a duplicate within its own cell, or a second adapter's effects would all
 * count as blocked by the first's.
 */
const cellKey = (req: EffectRequest): string | null => (req.key === null ? null : `${req.cell}\n${req.key}`);

export async function startWorld(options: WorldOptions): Promise<World> {
  const ledger = new EffectLedger();
  let faults: WorldFaults = { ...NO_WORLD_FAULTS };
  let approver: ApproverSettings = { delayMs: 50, rejectRate: 0 };
  let requests = 0;
  let errorDraws = seededRng(1);

  /** The ledger's verdict goes into the history, the ground truth for duplicates. */
  const record = async (type: 'effect' | 'compensate', req: EffectRequest, deduplicated: boolean) => {
    const { cell, runId, stepId, key, correlationId } = req;
    options.history.append({ type, cell, runId, stepId, key, deduplicated, correlationId });
    return { status: 200, body: { deduplicated } };
  };

  const routes: Record<string, (body: never) => Promise<Reply>> = {
    '/model': async (req: WorkRequest) => {
      if (faults.modelErrorRate > 0 && errorDraws() < faults.modelErrorRate) {
        const headers: Record<string, string> =
          faults.modelErrorStatus === 429 ? { 'retry-after': String(faults.retryAfterSeconds) } : {};
        return { status: faults.modelErrorStatus, body: { error: 'model API unavailable' }, headers };
      }
      await sleep(req.ms + faults.extraLatencyMs);
      return { status: 200, body: { tokens: Math.round(req.ms * 10) } };
    },
    '/tool': async (req: WorkRequest) => {
      await sleep(req.ms + faults.extraLatencyMs);
      return { status: 200, body: { ok: true } };
    },
    '/effect': (req: EffectRequest) => record('effect', req, ledger.apply(cellKey(req))),
    '/compensate': (req: EffectRequest) => record('compensate', req, ledger.compensate(cellKey(req))),
    '/approval': async (req: ApprovalRequest) => {
      const { delayMs, rejectRate } = approver;
      // The human's answer is a function of the run, so both adapters see the same decisions.
      const approved = seededRng(deriveSeed('approval', req.runId, req.stepId))() >= rejectRate;
      setTimeout(() => options.onDecision({ type: 'approval', ...req, approved }), delayMs).unref();
      return { status: 202, body: { accepted: true } };
    },
  };

  const server = createServer((request, response) => {
    requests++;
    handle(routes, request, response);
  });
  // Workers hold keep-alive connections; don't let idle ones be cut mid-benchmark.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));

  return {
    port: (server.address() as AddressInfo).port,
    setFaults(next) {
      faults = { ...faults, ...next };
      errorDraws = seededRng(deriveSeed('model-errors', JSON.stringify(faults)));
    },
    setApprover(settings) {
      approver = settings;
    },
    stats: () => ({ requests }),
    close: () => closeServer(server),
  };
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function handle(
  routes: Record<string, (body: never) => Promise<Reply>>,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  const route = request.method === 'POST' ? routes[request.url ?? ''] : undefined;
  if (!route) {
    send(response, { status: 404, body: { error: `no route ${request.method} ${request.url}` } });
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      send(response, { status: 400, body: { error: 'body must be JSON' } });
      return;
    }
    route(body as never).then(
      (reply) => send(response, reply),
      (error: Error) => send(response, { status: 500, body: { error: error.message } }),
    );
  });
}

function send(response: ServerResponse, reply: Reply): void {
  if (response.destroyed) return;
  const payload = JSON.stringify(reply.body);
  response.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...reply.headers,
  });
  response.end(payload);
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
