import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { endsWithSentinel } from '../../src/engine/files';
import type { ParsedRequest } from '../../src/simulator/types';
import { makeWorkspace, orchestrator, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

describe('choosing a pattern', () => {
  it('in auto the planner is offered every pattern and picks one by its tool, with a reason', async () => {
    const ws = makeWorkspace();
    const planner: ParsedRequest[] = [];
    fake = await startFake(ws, (req, _c, agent) => { if (agent === 'planner') planner.push(req); return undefined; });
    const run = await orchestrator(fake).plan({ task: 'Audit this repo for security issues' });
    await run.ledger.close();
    expect(planner[0].toolChoice).toEqual({ type: 'any' });
    expect(planner[0].tools.map((t) => t.name)).toEqual(expect.arrayContaining(['plan_fan_out', 'plan_single']));
    expect(run.plan).toMatchObject({ pattern: 'fan-out' });
    expect(run.plan.reason.length).toBeGreaterThan(10);
    expect(run.ledger.snapshot()).toMatchObject({ pattern: 'fan-out', patternReason: run.plan.reason });
    expect(readFileSync(path.join(run.dir, 'plan.md'), 'utf8')).toContain(`Pattern: **fan-out** — ${run.plan.reason}`);
  });

  it('a named pattern forces its one tool', async () => {
    const ws = makeWorkspace();
    const planner: ParsedRequest[] = [];
    fake = await startFake(ws, (req, _c, agent) => { if (agent === 'planner') planner.push(req); return undefined; });
    const run = await orchestrator(fake).plan({ task: 'Fix the typo in the README', pattern: 'fan-out' });
    await run.ledger.close();
    expect(planner[0].toolChoice).toEqual({ type: 'tool', name: 'plan_fan_out' });
    expect(planner[0].tools.map((t) => t.name)).toEqual(['plan_fan_out']);
    expect(run.plan.pattern).toBe('fan-out');
  });

  it('a task too small to orchestrate is said to be so and runs as a single agent that writes summary.md', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws);
    const run = await orchestrator(fake).plan({ task: 'Find the typo in the README' });
    expect(run.plan.pattern).toBe('single');
    expect(run.plan.reason).toMatch(/small enough for one agent/);
    expect(run.ledger.agents.map((a) => a.id)).toEqual(['planner', 'solo']);
    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('completed');
    const summary = readFileSync(path.join(run.dir, 'summary.md'), 'utf8');
    expect(endsWithSentinel(summary)).toBe(true);
    expect(summary).toContain('None: every agent completed.');
  });

  it('refuses an unknown pattern name before any request', async () => {
    fake = await startFake(makeWorkspace());
    await expect(orchestrator(fake).plan({ task: 'Audit', pattern: 'swarm' })).rejects.toThrow(/Unknown pattern "swarm"; expected auto or one of fan-out/);
    expect(fake.server.stats.totalRequests).toBe(0);
    expect(existsSync(path.join(fake.workspace, '.orchestration'))).toBe(false);
  });
});
