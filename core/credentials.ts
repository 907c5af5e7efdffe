/**
 * Credentials for servers someone else runs (a staging Redis with AUTH and TLS, Temporal
 * Cloud with mTLS or an API key). They live in environment variables only: every client
 * (the harness's drivers and probes, each worker, in any language) reads them from the
 * environment it runs in. An endpoint carries only the non-secret fact that they apply
 * (`credentials: 'env'`), whether TLS is on and the server name to verify, so worker
 * configs, config.json, results, history, logs and reports never hold a secret.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { ServiceEndpoint } from './services.js';

/** The environment variables, by what they hold (README and docker-compose.yml name them). */
export const REDIS_CREDENTIALS = {
  username: 'FAULTLINE_REDIS_USERNAME',
  password: 'FAULTLINE_REDIS_PASSWORD',
  /** PEM file of the CA that signed the server's certificate (`rediss://` URLs). */
  caFile: 'FAULTLINE_REDIS_TLS_CA_FILE',
} as const;

export const TEMPORAL_CREDENTIALS = {
  /** An API key (Temporal Cloud): sent as `Authorization: Bearer`, with TLS unless FAULTLINE_TEMPORAL_TLS=off. */
  apiKey: 'FAULTLINE_TEMPORAL_API_KEY',
  /** mTLS: the client certificate and its private key (PEM files). */
  certFile: 'FAULTLINE_TEMPORAL_TLS_CERT_FILE',
  keyFile: 'FAULTLINE_TEMPORAL_TLS_KEY_FILE',
  /** PEM file of the server's CA, when it is not a public one. */
  caFile: 'FAULTLINE_TEMPORAL_TLS_CA_FILE',
  /** `on` / `off`: TLS without a client certificate, or no TLS with an API key (a dev server). */
  tls: 'FAULTLINE_TEMPORAL_TLS',
} as const;

/** Endpoint options (all non-secret) that say how to reach a server that needs credentials. */
export const CREDENTIALS_OPTION = 'credentials';
export const TLS_OPTION = 'tls';
export const TLS_SERVER_NAME_OPTION = 'tlsServerName';

/** Options of a Redis client (ioredis's names), credentials from `env` when the endpoint says so. */
export interface RedisClientOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls?: { servername?: string; ca?: string; checkServerIdentity?: CheckServerIdentity };
}

type CheckServerIdentity = (host: string, cert: PeerCertificate) => Error | undefined;

export function redisClientOptions(
  endpoint: ServiceEndpoint,
  env: NodeJS.ProcessEnv = process.env,
): RedisClientOptions {
  const options: RedisClientOptions = { host: endpoint.host, port: endpoint.port };
  if (endpoint.options?.[CREDENTIALS_OPTION] === 'env') {
    const username = env[REDIS_CREDENTIALS.username];
    const password = env[REDIS_CREDENTIALS.password];
    if (username) options.username = username;
    if (password) options.password = password;
  }
  if (endpoint.options?.[TLS_OPTION] === 'on') {
    const caFile = env[REDIS_CREDENTIALS.caFile];
    options.tls = {
      ...verifyAs(endpoint.options[TLS_SERVER_NAME_OPTION] ?? endpoint.host),
      ...(caFile ? { ca: readFileSync(caFile, 'utf8') } : {}),
    };
  }
  return options;
}

/** Options of a Temporal connection (client or worker), credentials from `env` when the endpoint says so. */
export interface TemporalConnectionOptions {
  address: string;
  apiKey?: string;
  tls?:
    | false
    | {
        serverNameOverride?: string;
        serverRootCACertificate?: Buffer;
        clientCertPair?: { crt: Buffer; key: Buffer };
      };
}

export function temporalConnectionOptions(
  endpoint: ServiceEndpoint,
  env: NodeJS.ProcessEnv = process.env,
): TemporalConnectionOptions {
  const options: TemporalConnectionOptions = { address: `${endpoint.host}:${endpoint.port}` };
  const fromEnv = endpoint.options?.[CREDENTIALS_OPTION] === 'env';
  const { apiKey, certFile, keyFile, caFile } = TEMPORAL_CREDENTIALS;
  if (fromEnv && env[apiKey]) options.apiKey = env[apiKey];
  const tls = endpoint.options?.[TLS_OPTION];
  if (tls === 'off') {
    // An API key to a server without TLS (a dev server): the SDK would turn TLS on by itself.
    if (options.apiKey !== undefined) options.tls = false;
    return options;
  }
  const clientCert = fromEnv && env[certFile] && env[keyFile];
  if (tls === 'on' || clientCert || options.apiKey !== undefined) {
    const serverName = endpoint.options?.[TLS_SERVER_NAME_OPTION];
    options.tls = {
      ...(serverName ? { serverNameOverride: serverName } : {}),
      ...(fromEnv && env[caFile] ? { serverRootCACertificate: readFileSync(env[caFile]) } : {}),
      ...(clientCert
        ? { clientCertPair: { crt: readFileSync(env[certFile]!), key: readFileSync(env[keyFile]!) } }
        : {}),
    };
  }
  return options;
}

/**
 * Clients reach the server through a Toxiproxy link on 127.0.0.1, so the certificate is
 * checked against the server's own name: SNI for a host name, an explicit identity check
 * for an IP address (SNI must not carry one, RFC 6066).
 */
function verifyAs(name: string): { servername?: string; checkServerIdentity?: CheckServerIdentity } {
  if (isIP(name) === 0) return { servername: name };
  return { checkServerIdentity: (_host, cert) => checkServerIdentity(name, cert) };
}
