/**
 * Temporal's Python SDK (PyPI `temporalio`, pinned in requirements.txt): a run is a
 * workflow, a DAG interpreter written in Python (python/faultline_temporal/workflow.py), a
 * step an activity executed by the Python step runtime (faultline_runtime). Everything on
 * the harness's side — the driver that starts, signals and observes workflows, the knobs
 * and their defaults, the recovery facts — is the temporal adapter's own, taken through
 * the registry: a Temporal client drives workflows of any SDK language alike, so only the
 * workers' language differs between the two, and a comparison of them is like for like.
 */
import { fileURLToPath } from 'node:url';
import { type AnyAdapter, loadAdapter } from '../index.js';

const temporal = await loadAdapter('temporal');

/** Where the workers' Python package (faultline_temporal) lives: on their PYTHONPATH. */
const PYTHON_DIR = fileURLToPath(new URL('./python', import.meta.url));

const adapter: AnyAdapter = {
  name: 'temporal-python',
  description:
    "Durable workflows on Temporal's Python SDK: the workflow and its activities in Python workers (same knobs as temporal)",
  lineage: { family: 'temporal', language: 'python' },
  services: temporal.services,
  links: temporal.links,
  orchestrator: temporal.orchestrator,
  workers: [
    {
      role: 'worker',
      command: { runtime: 'python', module: 'faultline_temporal.worker', pythonPath: [PYTHON_DIR] },
      killScope: 'process',
      poolChildren: false,
    },
  ],
  knobs: temporal.knobs,
  recovery: temporal.recovery,
  createDriver: temporal.createDriver,
};

export default adapter;
