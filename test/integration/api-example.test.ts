/**
 * The README's example, as it is there: a team's reliability regression test that runs
 * experiments/smoke.yaml through the programmatic API and asserts on its gates.
 */

import { loadExperiment, runExperiment } from 'faultline';
import { expect, it } from 'vitest';

it('smoke: rag-ingest on BullMQ and Temporal keeps its gates', async () => {
  const run = await runExperiment(loadExperiment('experiments/smoke.yaml'));
  for (const gate of run.gates) expect(gate.status, gate.message).toBe('PASS');
  expect(run.gates.map((g) => g.gate.expression)).toContain('lost == 0');
}, 300_000);
