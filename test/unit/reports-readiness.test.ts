import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.js';
import type { Results } from '../../core/results.js';
import { fmtMs } from '../../reports/format.js';
import {
  evaluateReadiness,
  type Readiness,
  type ReadinessOptionsInput,
  renderReadinessJson,
  renderReadinessMarkdown,
  resolveReadinessOptions,
} from '../../reports/readiness.js';
import { cellOf, killOf, loadResults } from '../fixtures/results-small.js';

function judge(results: Results = loadResults(), options: ReadinessOptionsInput = {}) {
  const readiness = evaluateReadiness(results, options);
  const criterion = (adapter: string, id: string) => {
    const entry = readiness.entries.find((e) => e.adapter === adapter)!;
    return entry.criteria.find((c) => c.id === id)!;
  };
  return { readiness, criterion };
}

function statuses(readiness: Readiness, adapter: string): Record<string, string> {
  const entry = readiness.entries.find((e) => e.adapter === adapter)!;
  return { overall: entry.status, ...Object.fromEntries(entry.criteria.map((c) => [c.id, c.status])) };
}

describe('traceability, from the history into results', () => {
  it('counts effects whose correlation id is their run id', () => {
    // The fixture's story: the bullmq kill's retried notify effect is sent without a correlation id.
    const results = loadResults();
    expect(cellOf(results, 'rag-ingest/bullmq/worker-kill').observability).toMatchObject({
      effects: 31,
      correlated: 30,
      missing: 1,
      mismatched: 0,
      examples: ['effect of run bullmq-worker-kill-r04 step notify has no correlation id'],
    });
    expect(cellOf(results, 'rag-ingest/temporal/worker-kill').observability).toMatchObject({
      effects: 34,
      correlated: 34,
    });
  });
});

describe('readiness with default criteria and SLOs', () => {
  const { readiness, criterion } = judge();

  it('judges each adapter of each scenario on every criterion', () => {
    expect(readiness.entries.map((e) => `${e.scenario} ${e.adapter}`)).toEqual([
      'rag-ingest bullmq',
      'rag-ingest temporal',
    ]);
    expect(statuses(readiness, 'bullmq')).toEqual({
      overall: 'FAIL',
      durability: 'FAIL',
      duplicates: 'FAIL',
      recovery: 'PASS',
      latency: 'PASS',
      compensation: 'UNKNOWN',
      'human-in-the-loop': 'UNKNOWN',
      traceability: 'FAIL',
    });
    expect(statuses(readiness, 'temporal')).toEqual({
      overall: 'UNKNOWN',
      durability: 'PASS',
      duplicates: 'PASS',
      recovery: 'PASS',
      latency: 'PASS',
      compensation: 'UNKNOWN',
      'human-in-the-loop': 'UNKNOWN',
      traceability: 'PASS',
    });
  });

  it('cites numbers and cell ids as evidence', () => {
    expect(criterion('bullmq', 'durability').evidence).toEqual([
      'rag-ingest/bullmq/worker-kill: 1 of 16 runs lost (15 completed, 0 failed)',
      'rag-ingest/bullmq/backend-restart: 0 of 16 runs lost (16 completed, 0 failed)',
    ]);
    expect(criterion('bullmq', 'duplicates').evidence).toContain(
      'rag-ingest/bullmq/worker-kill: 1 duplicate effect, 0 blocked by idempotency keys',
    );
    const recovery = fmtMs(killOf(loadResults(), 'temporal').timeToFirstProgressMs);
    expect(criterion('temporal', 'recovery').evidence).toContain(
      `rag-ingest/temporal/worker-kill: recovery p95 ${recovery} over 1 occurrence, governed by heartbeatTimeoutMs=2000`,
    );
    // rag-ingest's critical path at typical work times: ingest 10 + chunk 2 + embed 10 + llm-extract 30
    // + persist 3 + notify 2 = 57 ms; the objective adds the default 2 s for orchestration.
    expect(criterion('bullmq', 'latency')).toMatchObject({
      title: 'latency p99 < 2.06 s (critical path 57 ms + 2 s) on fault-free cells',
      evidence: ['rag-ingest/bullmq/none: latency p99 1.16 s over 14 runs'],
    });
    expect(criterion('temporal', 'compensation').evidence).toEqual([
      'no effect was compensated in any cell: compensation was not exercised',
    ]);
    expect(criterion('bullmq', 'traceability').evidence.join('\n')).toContain(
      "rag-ingest/bullmq/worker-kill: 1 of 31 effects without their run's correlation id (1 missing, 0 wrong), e.g. effect of run bullmq-worker-kill-r04 step notify has no correlation id",
    );
    expect(criterion('temporal', 'human-in-the-loop').evidence[0]).toContain(
      'not declared to have an approval step',
    );
  });

  it('renders readiness.md and readiness.json', () => {
    const md = renderReadinessMarkdown(readiness);
    expect(md).toContain(
      '| rag-ingest | bullmq | **FAIL** | FAIL | FAIL | PASS | PASS | UNKNOWN | UNKNOWN | FAIL |',
    );
    expect(md).toContain('## rag-ingest × temporal: UNKNOWN');
    expect(md).toContain('  - rag-ingest/bullmq/worker-kill: 1 of 16 runs lost (15 completed, 0 failed)');
    const json = JSON.parse(renderReadinessJson(readiness));
    expect(json.schemaVersion).toBe(1);
    expect(json.options.recovery).toEqual({ stat: 'p95', sloMs: 30_000 });
    expect(json.entries[0].criteria[0]).toMatchObject({ id: 'durability', status: 'FAIL' });
  });
});

describe('readiness is UNKNOWN without the evidence', () => {
  it('durability without a backend-restart cell', () => {
    const results = loadResults();
    results.cells = results.cells.filter((c) => c.fault !== 'backend-restart');
    const { criterion } = judge(results);
    expect(criterion('temporal', 'durability').status).toBe('UNKNOWN');
    expect(criterion('temporal', 'durability').evidence).toContain(
      'no backend-restart cell with runs: durability under backend-restart was not tested',
    );
    // a failure still wins
    expect(criterion('bullmq', 'durability').status).toBe('FAIL');
  });

  it('duplicates and recovery with only fault-free cells; traceability without an effect', () => {
    const results = loadResults();
    results.cells = results.cells.filter((c) => c.fault === 'none');
    for (const cell of results.cells)
      cell.observability = { ...cell.observability, effects: 0, correlated: 0 };
    const { criterion } = judge(results, {});
    expect(criterion('temporal', 'duplicates').status).toBe('UNKNOWN');
    expect(criterion('temporal', 'recovery').status).toBe('UNKNOWN');
    expect(criterion('temporal', 'traceability')).toMatchObject({
      status: 'UNKNOWN',
      evidence: ['no effect events in the history'],
    });
  });
});

describe('configurable criteria and SLOs', () => {
  it('tighter SLOs fail with the numbers that broke them', () => {
    const { criterion } = judge(loadResults(), {
      latency: { sloMs: 1100 },
      recovery: { stat: 'max', sloMs: 50 },
    });
    expect(criterion('bullmq', 'latency').status).toBe('FAIL');
    expect(criterion('temporal', 'recovery').status).toBe('FAIL');
    expect(criterion('temporal', 'recovery').evidence).toContain(
      'rag-ingest/temporal/backend-restart: recovery max 60 ms over 1 occurrence',
    );
  });

  it('compensation passes once exercised, fails on a violation', () => {
    const results = loadResults();
    const restart = results.cells.find((c) => c.id === 'rag-ingest/temporal/backend-restart')!;
    restart.runs.failed = 1;
    restart.effects.compensated = 1;
    const bullmq = results.cells.find((c) => c.id === 'rag-ingest/bullmq/backend-restart')!;
    bullmq.effects.compensated = 1;
    bullmq.anomalyCounts.compensation = 2;
    const { criterion } = judge(results);
    expect(criterion('temporal', 'compensation')).toMatchObject({
      status: 'PASS',
      evidence: ['rag-ingest/temporal/backend-restart: 1 effect compensated for 1 failed run'],
    });
    expect(criterion('bullmq', 'compensation').status).toBe('FAIL');
    expect(criterion('bullmq', 'compensation').evidence).toContain(
      'rag-ingest/bullmq/backend-restart: 2 compensation violations',
    );
  });

  it('human-in-the-loop is judged for declared approval scenarios', () => {
    const { criterion } = judge(loadResults(), { approvalScenarios: ['rag-ingest'] });
    expect(criterion('temporal', 'human-in-the-loop').status).toBe('PASS');
    expect(criterion('bullmq', 'human-in-the-loop').status).toBe('FAIL');
  });

  it('a subset of criteria, other durability faults', () => {
    const { readiness, criterion } = judge(loadResults(), {
      criteria: ['durability', 'latency'],
      durabilityFaults: ['worker-kill'],
    });
    expect(statuses(readiness, 'temporal')).toEqual({ overall: 'PASS', durability: 'PASS', latency: 'PASS' });
    expect(criterion('temporal', 'durability').title).toBe('no lost run under worker-kill');
  });

  it('rejects bad settings with the path of the field', () => {
    expect(() => resolveReadinessOptions({ latency: { sloMs: -1 } })).toThrow(InputError);
    expect(() => resolveReadinessOptions({ criteria: ['speed'] })).toThrow(/criteria\[0\]/);
    expect(() => resolveReadinessOptions({ slo: 1 })).toThrow(InputError);
  });
});

describe('latency objectives that fit the scenario', () => {
  const train = {
    name: 'long-train',
    description: 'test',
    steps: [
      { id: 'prepare', kind: 'compute', dependsOn: [], work: { dist: 'constant', ms: 50 } },
      { id: 'train', kind: 'compute', dependsOn: ['prepare'], work: { dist: 'constant', ms: 3000 } },
      {
        id: 'evaluate',
        kind: 'compute',
        dependsOn: ['train'],
        work: { dist: 'uniform', minMs: 50, maxMs: 100 },
      },
    ],
  };

  const withLatency = (p99: number, slo?: number) => {
    const results = loadResults();
    results.config.scenarioDefinitions = [{ ...train, ...(slo ? { slo: { latencyP99Ms: slo } } : {}) }];
    results.cells = results.cells
      .filter((c) => c.fault === 'none')
      .map((c) => ({
        ...c,
        scenario: 'long-train',
        latencyMs: { ...c.latencyMs, p99: p99 },
      }));
    return judge(results);
  };

  it('passes a 3 s step that runs well against its own critical path', () => {
    // 50 + 3000 + 75 = 3125 ms of ideal work, plus 2 s of orchestration.
    const ok = withLatency(3400).criterion('bullmq', 'latency');
    expect(ok.status).toBe('PASS');
    expect(ok.title).toBe('latency p99 < 5.13 s (critical path 3.13 s + 2 s) on fault-free cells');
    expect(withLatency(5200).criterion('bullmq', 'latency').status).toBe('FAIL');
  });

  it("judges by the scenario's own objective when it declares one", () => {
    const own = withLatency(3400, 3200).criterion('bullmq', 'latency');
    expect(own.status).toBe('FAIL');
    expect(own.title).toContain("3.2 s (the scenario's own objective)");
  });
});
