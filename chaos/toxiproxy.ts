/**
 * A small client for Toxiproxy's HTTP API: links (proxies) and toxics, the network faults.
 *
 * Plain fetch rather than toxiproxy-node-client 4.1: that client reports a failed call as
 * "Request failed with status code 409" and drops the server's reason ("proxy already
 * exists", "invalid toxic type"), and enabling a proxy or removing a toxic means first
 * fetching objects to call methods on. Each call here is one request.
 */
import { InfrastructureError } from '../core/errors.js';
import type { HostPort } from '../core/services.js';

type ToxicType = 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data';

export interface Toxic {
  type: ToxicType;
  name: string;
  /** upstream: client → server; downstream: server → client. */
  stream: 'upstream' | 'downstream';
  /** Share of connections affected, 0..1. */
  toxicity: number;
  /** Type-specific, e.g. latency: { latency, jitter } (ms); timeout: { timeout } (ms). */
  attributes: Record<string, number>;
}

/**
 * Creates a link named `name` to `upstream` and returns where clients should connect.
 * It listens on 127.0.0.1 port 0, so Toxiproxy binds a free port itself (no race with
 * another process) and keeps that port when the link is disabled and enabled again.
 */
export async function createLink(api: HostPort, name: string, upstream: HostPort): Promise<HostPort> {
  const created = await call<{ listen: string }>(api, 'POST', '/proxies', {
    name,
    listen: '127.0.0.1:0',
    upstream: `${upstream.host}:${upstream.port}`,
    enabled: true,
  });
  const colon = created.listen.lastIndexOf(':');
  return { host: created.listen.slice(0, colon), port: Number(created.listen.slice(colon + 1)) };
}

export async function deleteLink(api: HostPort, name: string): Promise<void> {
  await call(api, 'DELETE', `/proxies/${encodeURIComponent(name)}`);
}

/** Disabled: the link refuses new connections and drops open ones (a partition). */
export async function setLinkEnabled(api: HostPort, name: string, enabled: boolean): Promise<void> {
  await call(api, 'PATCH', `/proxies/${encodeURIComponent(name)}`, { enabled });
}

export async function addToxic(api: HostPort, link: string, toxic: Toxic): Promise<void> {
  await call(api, 'POST', `/proxies/${encodeURIComponent(link)}/toxics`, toxic);
}

export async function removeToxic(api: HostPort, link: string, toxicName: string): Promise<void> {
  await call(api, 'DELETE', `/proxies/${encodeURIComponent(link)}/toxics/${encodeURIComponent(toxicName)}`);
}

/** Heals everything: enables every link and removes every toxic (links stay). */
export async function resetAll(api: HostPort): Promise<void> {
  await call(api, 'POST', '/reset');
}

async function call<T = unknown>(api: HostPort, method: string, path: string, body?: unknown): Promise<T> {
  const url = `http://${api.host}:${api.port}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
  } catch (error) {
    throw new InfrastructureError(`toxiproxy ${method} ${url} failed: ${(error as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    // Toxiproxy answers errors as {"error": "...", "status": N}.
    let reason = text;
    try {
      reason = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {}
    throw new InfrastructureError(`toxiproxy ${method} ${path}: ${res.status} ${reason}`);
  }
  return (text === '' ? undefined : JSON.parse(text)) as T;
}
