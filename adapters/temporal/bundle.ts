import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const WORKFLOWS_PATH = fileURLToPath(new URL('./workflow.ts', import.meta.url));
/** Temporal's OpenTelemetry workflow interceptors: they export through the worker's `exporter` sink. */
const OTEL_WORKFLOW_INTERCEPTORS = createRequire(import.meta.url).resolve(
  '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
);

/** What `prepare` hands every driver and worker of the experiment. */
export interface PreparedBundle {
  /** The webpack bundle of workflow.ts, loaded by workers with `workflowBundle: { codePath }`. */
  codePath: string;
  /** How long bundling took, once for the whole experiment. */
  bundleMs: number;
}

/** Bundles made in this process, by run folder: adapters that run this workflow share one. */
const made = new Map<string, Promise<PreparedBundle>>();

/**
 * Bundles the workflow code once per experiment. Without it every worker start (and
 * every restart after a kill) would run webpack for seconds, and recovery times would
 * measure the bundler rather than Temporal. An experiment with temporal and
 * temporal-polyglot (whose workflow workers run this same code) bundles it once.
 */
export function prepareWorkflowBundle(runDir: string): Promise<PreparedBundle> {
  let bundle = made.get(runDir);
  if (bundle === undefined) {
    bundle = bundleInto(runDir);
    made.set(runDir, bundle);
    bundle.catch(() => made.delete(runDir));
  }
  return bundle;
}

async function bundleInto(runDir: string): Promise<PreparedBundle> {
  const began = performance.now();
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [OTEL_WORKFLOW_INTERCEPTORS],
    logger: new DefaultLogger('WARN'),
  });
  const codePath = join(runDir, 'temporal', 'workflow-bundle.js');
  mkdirSync(dirname(codePath), { recursive: true });
  writeFileSync(codePath, code);
  return { codePath, bundleMs: Math.round(performance.now() - began) };
}

export function isPreparedBundle(value: unknown): value is PreparedBundle {
  return typeof (value as PreparedBundle | null)?.codePath === 'string';
}
