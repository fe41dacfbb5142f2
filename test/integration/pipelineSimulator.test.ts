/** The offline simulator runs a whole pipeline, and picks it in auto mode for a task of sequential steps. */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config';
import { endsWithSentinel } from '../../src/engine/files';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { Orchestrator } from '../../src/engine/orchestrator';
import type { PipelinePlan } from '../../src/engine/patterns/pipeline/plan';
import { startSimulator, type Simulator } from '../../src/simulator/index';
import { ROOT, workspacesOfThisTest } from './harness';

let ws: string;
let sim: Simulator;
let orch: Orchestrator;
beforeAll(async () => {
  ws = mkdtempSync(join(tmpdir(), 'sim-pipeline-'));
  cpSync(join(ROOT, 'examples/demo-shop'), ws, { recursive: true, filter: (src) => !src.includes('.orchestration') });
  sim = await startSimulator({ workspace: ws });
  orch = new Orchestrator({
    workspace: ws, config: parseConfig({ provider: 'simulated' }), simulated: true, promptsDir: join(ROOT, 'prompts'),
    model: new AnthropicModelClient({ apiKey: 'simulated', baseUrl: sim.baseUrl }), snapshotIntervalMs: 20,
  });
});
afterAll(async () => {
  await sim.close();
  rmSync(ws, { recursive: true, force: true });
});

it('in auto mode plans a pipeline for sequential steps and runs it to a labelled summary', async () => {
  workspacesOfThisTest.add(ws);
  const run = await orch.plan({ task: 'Write a guide to src/utils: research → outline → draft → review' });
  expect(run.plan.pattern).toBe('pipeline');
  expect(run.plan.reason).toMatch(/pipeline/);
  const plan = run.plan as PipelinePlan;
  expect(plan.stages.map((s) => s.name)).toEqual(['Research', 'Outline', 'Draft', 'Review']);
  expect(plan.stages[0].scope).toEqual(['src/utils']);

  const outcome = await run.execute();
  await run.ledger.close();
  expect(outcome.reason).toBeNull();
  expect(outcome.status).toBe('completed');
  for (const s of plan.stages) {
    const text = readFileSync(join(run.dir, `stages/${s.id}.md`), 'utf8');
    expect(text.startsWith('> _Simulated output')).toBe(true);
    expect(endsWithSentinel(text)).toBe(true);
  }
  // The research stage read the scope; what it found reached the summary through every handoff.
  const summary = readFileSync(join(run.dir, 'summary.md'), 'utf8');
  expect(summary.startsWith('> _Simulated output')).toBe(true);
  expect(summary).toMatch(/## Result\n- `src\/utils\/(format|retry)\.js`/);
}, 60_000);

it('in auto mode keeps fan-out for independent work', async () => {
  workspacesOfThisTest.add(ws);
  const run = await orch.plan({ task: 'Audit this repo for security issues' });
  await run.ledger.close();
  expect(run.plan.pattern).toBe('fan-out');
});
