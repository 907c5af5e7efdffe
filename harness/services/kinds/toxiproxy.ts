import { requireTool } from '../../tools.js';
import type { ServiceDefinition } from './types.js';

/** Toxiproxy: the links workers reach every service through, where network faults are injected. */
export const toxiproxy: ServiceDefinition = {
  name: 'toxiproxy',
  // `go install .../cmd/server` names the binary after its package folder: "server".
  binary: () => requireTool('bin/server', 'Toxiproxy server'),
  // Its default log level is "trace" (several lines per API call).
  commandLine: async (port, { host }) => ({
    args: ['-host', host, '-port', String(port)],
    env: { LOG_LEVEL: 'info' },
  }),
  async answers(endpoint) {
    const res = await fetch(`http://${endpoint.host}:${endpoint.port}/version`, {
      signal: AbortSignal.timeout(1000),
    });
    await res.text();
    return res.ok;
  },
  probeIntervalMs: 50,
  external: { variable: 'FAULTLINE_TOXIPROXY_URL', defaultPort: 8474 },
  container: {
    port: 8474,
    readyLog: /Starting Toxiproxy HTTP server/,
    hostNetwork: true,
    publicImage: { name: 'ghcr.io/shopify/toxiproxy:2.12.0', command: [] },
  },
};
