import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { PreparedBundle } from './prepared-bundle.js';

const WORKFLOWS_PATH = fileURLToPath(new URL('./workflow.ts', import.meta.url));
/** Temporal's OpenTelemetry workflow interceptors: they export through the worker's `exporter` sink. */
const OTEL_WORKFLOW_INTERCEPTORS = createRequire(import.meta.url).resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
);

/** Bundles made in this process, by run folder and tracing: adapters that run this workflow share one. */
const made = new Map<string, Promise<PreparedBundle>>();
/**
 * The bundled code, by tracing. The workflow's sources are modules this process has
 * already loaded, so they cannot change under it: a second run in the same process (a
 * test file, the programmatic API) writes the same code again instead of running webpack.
 */
const bundled = new Map<boolean, Promise<{ code: string; bundleMs: number }>>();

/**
 * Bundles the workflow code once per process and writes it into each experiment's run
 * folder. Without it every worker start (and every restart after a kill) would run
 * webpack for seconds, and recovery times would measure the bundler rather than Temporal.
 * An experiment with temporal and temporal-polyglot (whose workflow workers run this same
 * code) shares one file.
 */
export function prepareWorkflowBundle(
  runDir: string,
  { traced }: { traced: boolean } = { traced: true },
): Promise<PreparedBundle> {
  const key = `${runDir}\u0000${traced}`;
  let bundle = made.get(key);
  if (bundle === undefined) {
    bundle = bundleInto(runDir, traced);
    made.set(key, bundle);
    bundle.catch(() => made.delete(key));
  }
  return bundle;
}

function bundleCode(traced: boolean): Promise<{ code: string; bundleMs: number }> {
  let code = bundled.get(traced);
  if (code === undefined) {
    const began = performance.now();
    code = bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      workflowInterceptorModules: traced ? [OTEL_WORKFLOW_INTERCEPTORS] : [],
      logger: new DefaultLogger('WARN'),
    }).then(({ code }) => ({ code, bundleMs: Math.round(performance.now() - began) }));
    bundled.set(traced, code);
    code.catch(() => bundled.delete(traced));
  }
  return code;
}

async function bundleInto(runDir: string, traced: boolean): Promise<PreparedBundle> {
  const { code, bundleMs } = await bundleCode(traced);
  const codePath = join(runDir, 'temporal', traced ? 'workflow-bundle.js' : 'workflow-bundle-untraced.js');
  mkdirSync(dirname(codePath), { recursive: true });
  writeFileSync(codePath, code);
  return { codePath, traced, bundleMs };
}
