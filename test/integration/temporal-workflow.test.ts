/**
 * The TypeScript pipeline workflow (adapters/temporal/workflow.ts) on a real Temporal dev
 * server started by @temporalio/testing's TestWorkflowEnvironment.createLocal with the CLI
 * binary setup installed (`existing-path`: its download does not work offline). Stand-in
 * activities record where and when each step ran, so the workflow's routing can be checked
 * without the harness: with an activity task queue in its input (temporal-polyglot) every
 * activity goes there; without one (temporal) they stay on the workflow's queue.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareWorkflowBundle } from '../../adapters/temporal/bundle.js';
import { TemporalKnobsSchema } from '../../adapters/temporal/knobs.js';
import {
  activityTaskQueueName,
  PIPELINE_WORKFLOW,
  type PipelineInput,
  pipelineTemplate,
  taskQueueName,
} from '../../adapters/temporal/protocol.js';
import { workflowSinks } from '../../adapters/temporal/sinks.js';
import { requireTool } from '../../harness/tools.js';
import { loadScenario } from '../../scenarios/index.js';
import { planRun } from '../../scenarios/plan.js';

const plan = planRun(loadScenario('rag-ingest'));
const knobs = TemporalKnobsSchema.parse({});

let env: TestWorkflowEnvironment;
let codePath: string;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: {
        type: 'existing-path',
        path: requireTool(join('temporal', 'bin', 'temporal'), 'Temporal CLI'),
      },
    },
  });
  ({ codePath } = await prepareWorkflowBundle(mkdtempSync(join(tmpdir(), 'faultline-bundle-'))));
});

afterAll(async () => {
  await env?.teardown();
});

/** Runs one rag-ingest workflow; with `split`, its activities in a worker on the cell's activity queue. */
async function runPipeline(cell: string, split: boolean) {
  const queue = taskQueueName(knobs.taskQueue, cell);
  const activityQueue = split ? activityTaskQueueName(knobs.taskQueue, cell) : queue;
  const ran: { stepId: string; queue: string; at: number; end: number }[] = [];
  const activities = {
    async executeStep({ stepId }: { runId: string; stepId: string }) {
      const at = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 5));
      ran.push({ stepId, queue: Context.current().info.taskQueue, at, end: performance.now() });
    },
  };
  const connection = env.nativeConnection;
  const workers = split
    ? [
        await Worker.create({
          connection,
          taskQueue: queue,
          workflowBundle: { codePath },
          sinks: workflowSinks(),
        }),
        await Worker.create({ connection, taskQueue: activityQueue, activities }),
      ]
    : [
        await Worker.create({
          connection,
          taskQueue: queue,
          workflowBundle: { codePath },
          sinks: workflowSinks(),
          activities,
        }),
      ];
  const input: PipelineInput = {
    ...pipelineTemplate(plan, knobs, split ? activityQueue : undefined),
    runId: 'r1',
  };
  const run = async (i: number): Promise<unknown> =>
    i === workers.length
      ? env.client.workflow.execute(PIPELINE_WORKFLOW, {
          taskQueue: queue,
          workflowId: `${cell}-r1`,
          args: [input],
        })
      : workers[i]!.runUntil(() => run(i + 1));
  const result = await run(0);
  return { result, ran, queue, activityQueue };
}

describe('the TypeScript pipeline workflow on a local dev server (@temporalio/testing)', () => {
  it('sends every activity to the activity queue its input names, each after its dependencies', async () => {
    const { result, ran, queue, activityQueue } = await runPipeline('rag-ingest/split/none', true);
    expect(result).toEqual({ steps: plan.instances.length });
    expect(activityQueue).toBe(`${queue}.activities`);
    expect(ran.map((r) => r.stepId).sort()).toEqual(plan.instances.map((i) => i.id).sort());
    expect(new Set(ran.map((r) => r.queue))).toEqual(new Set([activityQueue]));
    const endOf = new Map(ran.map((r) => [r.stepId, r.end]));
    for (const r of ran)
      for (const dependency of plan.byId.get(r.stepId)!.dependsOn)
        expect(endOf.get(dependency)!, `${dependency} before ${r.stepId}`).toBeLessThanOrEqual(r.at);
  });

  it('keeps the activities on the workflow’s own queue when the input names none', async () => {
    const { ran, queue } = await runPipeline('rag-ingest/single/none', false);
    expect(ran).toHaveLength(plan.instances.length);
    expect(new Set(ran.map((r) => r.queue))).toEqual(new Set([queue]));
  });
});
