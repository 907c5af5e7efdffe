/*
 * What a Temporal worker receives about the workflow bundle, apart from the bundler
 * (bundle.ts): a worker needs the shape, not webpack, so it does not load it.
 */

/** What `prepare` hands every driver and worker of the experiment. */
export interface PreparedBundle {
  /**
   * The webpack bundle of workflow.ts. A worker reads it and loads it as `workflowBundle: { code }`,
   * with its own WorkflowCode (the scenario version it was deployed with) put in front.
   */
  codePath: string;
  /**
   * It holds Temporal's OpenTelemetry workflow interceptors (a traced experiment), whose
   * spans leave the sandbox through the `exporter` sink a worker must then register.
   * Untraced, they are left out: they would cost every workflow activation their modules.
   */
  traced: boolean;
  /** How long bundling took, once for the whole process. */
  bundleMs: number;
}

export function isPreparedBundle(value: unknown): value is PreparedBundle {
  const bundle = value as PreparedBundle | null;
  return typeof bundle?.codePath === 'string' && typeof bundle.traced === 'boolean';
}
