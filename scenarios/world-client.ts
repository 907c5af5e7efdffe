import type { HostPort } from '../core/services.js';
import type { ApprovalRequest, EffectRequest, EffectResponse, WorkRequest } from '../core/world-protocol.js';

/** The world answered with an error status (a model-API outage, a 429). Retryable. */
export class WorldUnavailableError extends Error {
  override readonly name = 'WorldUnavailableError';
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | null,
  ) {
    super(`world answered ${status}`);
  }
}

/** How a worker reaches the world (through the `world` Toxiproxy link). */
export class WorldClient {
  private readonly base: string;

  constructor(
    endpoint: HostPort,
    /** A real HTTP client gives up eventually; a blackholed link must not hang a step forever. */
    private readonly timeoutMs = 30_000,
  ) {
    this.base = `http://${endpoint.host}:${endpoint.port}`;
  }

  model(req: WorkRequest): Promise<unknown> {
    return this.post('/model', req);
  }

  tool(req: WorkRequest): Promise<unknown> {
    return this.post('/tool', req);
  }

  effect(req: EffectRequest): Promise<EffectResponse> {
    return this.post('/effect', req) as Promise<EffectResponse>;
  }

  compensate(req: EffectRequest): Promise<EffectResponse> {
    return this.post('/compensate', req) as Promise<EffectResponse>;
  }

  requestApproval(req: ApprovalRequest): Promise<unknown> {
    return this.post('/approval', req);
  }

  private async post(path: string, body: unknown): Promise<unknown> {
    const response = await fetch(this.base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const payload: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const retryAfter = response.headers.get('retry-after');
      throw new WorldUnavailableError(
        response.status,
        retryAfter === null ? null : Number(retryAfter) * 1000,
      );
    }
    return payload;
  }
}
