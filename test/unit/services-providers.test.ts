/**
 * The pure parts of the services providers: reading an external server's address and
 * credentials from the environment (never into an endpoint), the client options built from
 * them, which containers are a crashed run's leftovers, and the libraries an image needs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redisClientOptions, temporalConnectionOptions } from '../../core/credentials.js';
import { InputError } from '../../core/errors.js';
import { parseLdd } from '../../harness/services/containers/images.js';
import { isLeftover, LABELS, ownerLabels } from '../../harness/services/containers/labels.js';
import { externalEndpoint } from '../../harness/services/external.js';
import { serviceDefinition } from '../../harness/services/kinds/index.js';

const SECRET = 'hunter2-secret';
const dir = mkdtempSync(join(tmpdir(), 'faultline-creds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('external endpoints', () => {
  const redis = serviceDefinition('redis');
  const temporal = serviceDefinition('temporal');

  it('host and port from the URL, the default port without one, no options without credentials', () => {
    expect(externalEndpoint(redis, { FAULTLINE_REDIS_URL: 'redis://10.0.0.5:6380' })).toEqual({
      host: '10.0.0.5',
      port: 6380,
    });
    expect(externalEndpoint(redis, { FAULTLINE_REDIS_URL: 'redis://cache.internal' }).port).toBe(6379);
    expect(externalEndpoint(temporal, { FAULTLINE_TEMPORAL_ADDRESS: 'tmp.example:7234' })).toEqual({
      host: 'tmp.example',
      port: 7234,
      options: { namespace: 'default' },
    });
  });

  it('credentials apply by a flag only: the secret itself never enters the endpoint', () => {
    const endpoint = externalEndpoint(redis, {
      FAULTLINE_REDIS_URL: 'rediss://cache.internal:6380',
      FAULTLINE_REDIS_PASSWORD: SECRET,
    });
    expect(endpoint.options).toEqual({ credentials: 'env', tls: 'on', tlsServerName: 'cache.internal' });
    expect(JSON.stringify(endpoint)).not.toContain(SECRET);
    const cloud = externalEndpoint(temporal, {
      FAULTLINE_TEMPORAL_ADDRESS: 'ns.a1b2.tmprl.cloud:7233',
      FAULTLINE_TEMPORAL_NAMESPACE: 'ns.a1b2',
      FAULTLINE_TEMPORAL_API_KEY: SECRET,
    });
    expect(cloud.options).toEqual({ namespace: 'ns.a1b2', credentials: 'env' });
  });

  it('refuses a missing variable, a bad address, credentials in the URL and a bad TLS switch', () => {
    expect(() => externalEndpoint(redis, {})).toThrow(/--services external needs FAULTLINE_REDIS_URL/);
    expect(() => externalEndpoint(redis, { FAULTLINE_REDIS_URL: 'redis://[::1' })).toThrow(
      /not a valid address/,
    );
    const inUrl = () => externalEndpoint(redis, { FAULTLINE_REDIS_URL: `redis://:${SECRET}@cache:6379` });
    expect(inUrl).toThrow(InputError);
    expect(inUrl).toThrow(/credentials do not go in the URL.*FAULTLINE_REDIS_PASSWORD/);
    try {
      inUrl();
    } catch (error) {
      expect((error as Error).message).not.toContain(SECRET);
    }
    expect(() =>
      externalEndpoint(temporal, { FAULTLINE_TEMPORAL_ADDRESS: 'x:1', FAULTLINE_TEMPORAL_TLS: 'maybe' }),
    ).toThrow(/FAULTLINE_TEMPORAL_TLS="maybe" must be on or off/);
  });
});

describe('client options from the environment', () => {
  it('Redis: password and TLS with the CA file, checked against the server’s own name', () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'PEM');
    const link = {
      host: '127.0.0.1',
      port: 41000,
      options: { credentials: 'env', tls: 'on', tlsServerName: 'cache.internal' },
    };
    const options = redisClientOptions(link, {
      FAULTLINE_REDIS_PASSWORD: SECRET,
      FAULTLINE_REDIS_TLS_CA_FILE: ca,
    });
    expect(options).toMatchObject({
      host: '127.0.0.1',
      port: 41000,
      password: SECRET,
      tls: { servername: 'cache.internal', ca: 'PEM' },
    });
    // An IP address is no SNI name: the identity check is explicit instead.
    const byIp = redisClientOptions({ ...link, options: { ...link.options, tlsServerName: '10.0.0.5' } }, {});
    expect(byIp.tls?.servername).toBeUndefined();
    expect(typeof byIp.tls?.checkServerIdentity).toBe('function');
  });

  it('a variable left in the shell is not used against a server Faultline started', () => {
    expect(redisClientOptions({ host: '127.0.0.1', port: 1 }, { FAULTLINE_REDIS_PASSWORD: SECRET })).toEqual({
      host: '127.0.0.1',
      port: 1,
    });
  });

  it('Temporal: an API key brings TLS unless turned off; mTLS from the key files', () => {
    const link = {
      host: '127.0.0.1',
      port: 7233,
      options: { credentials: 'env', tlsServerName: 'ns.tmprl.cloud' },
    };
    expect(temporalConnectionOptions(link, { FAULTLINE_TEMPORAL_API_KEY: SECRET })).toEqual({
      address: '127.0.0.1:7233',
      apiKey: SECRET,
      tls: { serverNameOverride: 'ns.tmprl.cloud' },
    });
    expect(
      temporalConnectionOptions(
        { ...link, options: { ...link.options, tls: 'off' } },
        { FAULTLINE_TEMPORAL_API_KEY: SECRET },
      ),
    ).toEqual({ address: '127.0.0.1:7233', apiKey: SECRET, tls: false });
    writeFileSync(join(dir, 'c.pem'), 'CERT');
    writeFileSync(join(dir, 'k.pem'), 'KEY');
    const mtls = temporalConnectionOptions(link, {
      FAULTLINE_TEMPORAL_TLS_CERT_FILE: join(dir, 'c.pem'),
      FAULTLINE_TEMPORAL_TLS_KEY_FILE: join(dir, 'k.pem'),
    });
    const pair = mtls.tls === false ? undefined : mtls.tls?.clientCertPair;
    expect(pair?.crt.toString()).toBe('CERT');
    expect(pair?.key.toString()).toBe('KEY');
  });
});

describe('containers', () => {
  const labels = (pid: number, host = 'box') => ({
    [LABELS.managed]: 'true',
    [LABELS.host]: host,
    [LABELS.pid]: String(pid),
  });
  const alive = (pid: number) => pid === 100;

  it('a leftover is ours, from this machine, of a harness that is gone', () => {
    expect(isLeftover(labels(200), alive, 'box')).toBe(true);
    expect(isLeftover(labels(100), alive, 'box')).toBe(false); // a run still going
    expect(isLeftover(labels(200, 'other-box'), alive, 'box')).toBe(false); // a shared engine
    expect(isLeftover({ [LABELS.host]: 'box', [LABELS.pid]: '200' }, alive, 'box')).toBe(false); // not ours
  });

  it('a leftover of another process registry is not this one’s to reap', () => {
    const under = (registry: string) => ({ ...labels(200), [LABELS.registry]: registry });
    expect(isLeftover(under('/tmp/reg-a'), alive, 'box', '/tmp/reg-a')).toBe(true);
    // A side-by-side harness with a registry of its own (a test's) leaves it alone.
    expect(isLeftover(under('/tmp/reg-b'), alive, 'box', '/tmp/reg-a')).toBe(false);
    // Labelled before registries were: this registry's.
    expect(isLeftover(labels(200), alive, 'box', '/tmp/reg-a')).toBe(true);
    // What the provider writes names the registry in force, which the default check uses.
    const previous = process.env.FAULTLINE_PROCESS_REGISTRY;
    process.env.FAULTLINE_PROCESS_REGISTRY = '/tmp/reg-c';
    try {
      const written = ownerLabels('redis', '/tmp/run');
      expect(written[LABELS.registry]).toBe('/tmp/reg-c');
      expect(isLeftover({ ...written, [LABELS.pid]: '200', [LABELS.host]: 'box' }, alive, 'box')).toBe(true);
    } finally {
      if (previous === undefined) delete process.env.FAULTLINE_PROCESS_REGISTRY;
      else process.env.FAULTLINE_PROCESS_REGISTRY = previous;
    }
  });

  it('the libraries an image needs, from ldd, the loader included', () => {
    const out = [
      '\tlinux-vdso.so.1 (0x00007ffd)',
      '\tlibssl.so.3 => /lib/x86_64-linux-gnu/libssl.so.3 (0x00007f12)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f13)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f14)',
    ].join('\n');
    expect(parseLdd(out)).toEqual([
      '/lib/x86_64-linux-gnu/libssl.so.3',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
    expect(parseLdd('\tnot a dynamic executable')).toEqual([]);
  });
});
