import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ledger, PLANNER_ID } from '../../src/engine/ledger/ledger';
import { compileFanOut } from '../../src/engine/patterns/fan-out/compile';
import { agentRecord } from '../../src/engine/patterns/pattern';
import { parseConfig } from '../../src/engine/config';
import { asStored, type PlanInput as Plan } from './planFixtures';
import type { EngineEvent, LedgerSnapshot } from '../../src/engine/types';

const config = parseConfig({});
const plan: Plan = {
  task: 't', summary: '',
  domains: [{ id: 'a', name: 'A', brief: 'brief text', workers: [
    { id: 'a1', task: 'do one thing', scope: ['src'], tier: 'haiku' },
    { id: 'a2', task: 'do another thing', scope: ['src'], tier: 'opus' },
  ] }],
};
let dir: string;

async function fresh(interval = 10_000): Promise<Ledger> {
  const planner = agentRecord(config, { id: PLANNER_ID, role: 'planner', domain: null, tier: 'sonnet', task: 'Plan', scope: [], dependsOn: [], outputFile: 'plan.json' });
  const l = Ledger.create(dir, { runId: '20260101-000000-abcd', task: 't', workspace: dir, simulated: false }, [planner], { snapshotIntervalMs: interval });
  const { agents, groups } = compileFanOut(asStored(plan), config);
  l.setPlanned(agents, { tokensLow: 1, tokensHigh: 2, costLowUsd: 0, costHighUsd: 0 }, { pattern: 'fan-out', patternReason: '', groups });
  return l;
}

beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ledger-')); });

describe('ledger', () => {
  it('compiles workers, one coordinator per domain and a final step with dependencies', async () => {
    const l = await fresh();
    expect(l.agents.map((a) => a.id)).toEqual(['planner', 'a1', 'a2', 'coord-a', 'final']);
    expect(l.get('coord-a')!.dependsOn).toEqual(['a1', 'a2']);
    expect(l.get('final')!.dependsOn).toEqual(['coord-a']);
    expect(l.get('a2')!.modelRequested).toBe('claude-opus-5-5');
    expect(l.totals.agentsByStatus.pending).toBe(5);
  });

  it('follows the state machine and refuses illegal transitions', async () => {
    const l = await fresh();
    l.transition('a1', 'queued');
    l.transition('a1', 'running', { attempts: 1 });
    l.transition('a1', 'verifying');
    l.transition('a1', 'completed');
    expect(() => l.transition('a1', 'queued')).toThrow(/illegal transition completed → queued/);
    // A finished builder may be sent back (revision after review) or found wanting (rejected, conflict).
    l.transition('a1', 'running', { attempts: 2 });
    l.transition('a1', 'completed');
    l.transition('a1', 'failed', { error: 'rejected' });
    expect(() => l.transition('a1', 'running')).toThrow(/illegal transition failed → running/);
    expect(() => l.transition('a2', 'completed')).toThrow(/pending → completed/);
    expect(l.totals.agentsByStatus).toMatchObject({ completed: 0, failed: 1, pending: 4, running: 0 });
    expect(l.get('a1')!.startedAt).not.toBeNull();
    expect(l.get('a1')!.endedAt).not.toBeNull();
  });

  it('keeps usage, cost and tool totals per agent and per run, planner included', async () => {
    const l = await fresh();
    l.addUsage('a1', 'claude-haiku-5-5-20261001', { input: 10, output: 5, cacheRead: 100, cacheWrite: 20 }, 0.5);
    l.addUsage('a1', 'claude-haiku-5-5-20261001', { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 }, 0.25);
    l.addUsage(PLANNER_ID, 'claude-sonnet-5-5', { input: 7, output: 3, cacheRead: 0, cacheWrite: 0 }, 1);
    l.recordTool('a1', 'read_file', true);
    const a = l.get('a1')!;
    expect(a.usage).toEqual({ input: 11, output: 6, cacheRead: 100, cacheWrite: 20 });
    expect(a.modelReported).toBe('claude-haiku-5-5-20261001');
    expect(a.requests).toBe(2);
    expect(l.totals.costUsd).toBeCloseTo(1.75);
    expect(l.totals.costByModel['claude-sonnet-5-5']).toBe(1);
    expect(l.totals.usage.input).toBe(18);
    expect(l.totals.toolCalls).toBe(1);
  });

  it('persists a snapshot and an events log from which it can be reloaded', async () => {
    const l = await fresh();
    const seen: EngineEvent[] = [];
    l.onDidChange((e) => seen.push(e));
    l.transition('a1', 'queued');
    l.setReturn('a1', 'Done. Found two things.', 6);
    l.setRunStatus('running');
    await l.close();
    const events = (await fs.readFile(path.join(dir, 'events.jsonl'), 'utf8')).trim().split('\n').map((x) => JSON.parse(x) as EngineEvent);
    // The run's header and its planned records come first: the log alone can rebuild the snapshot.
    expect(events.map((e) => (e.type === 'ledger' ? `ledger:${e.change.kind}` : e.type))).toEqual(['ledger:created', 'ledger:planned', 'agent', 'return', 'run']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(seen.length).toBe(3);
    const again = await Ledger.load(dir);
    expect(again.get('a1')!.status).toBe('queued');
    expect(again.get('a1')!.returned).toBe('Done. Found two things.');
    expect(again.status).toBe('running');
    again.transition('a2', 'queued');
    await again.flush();
    const last = JSON.parse((await fs.readFile(path.join(dir, 'events.jsonl'), 'utf8')).trim().split('\n').pop()!) as EngineEvent;
    expect(last.seq).toBe(6);
  });

  it('coalesces snapshots: many changes inside one interval make one write', async () => {
    const l = await fresh(50);
    await l.flush();
    const before = (await fs.stat(path.join(dir, 'ledger.json'))).mtimeMs;
    for (let i = 0; i < 200; i++) l.recordTool('a1', 'search', true);
    const statAfter = await fs.readFile(path.join(dir, 'ledger.json'), 'utf8');
    expect((JSON.parse(statAfter) as LedgerSnapshot).totals.toolCalls).toBe(0); // not yet written
    await new Promise((r) => setTimeout(r, 120));
    const json = JSON.parse(await fs.readFile(path.join(dir, 'ledger.json'), 'utf8')) as LedgerSnapshot;
    expect(json.totals.toolCalls).toBe(200);
    expect((await fs.stat(path.join(dir, 'ledger.json'))).mtimeMs).toBeGreaterThanOrEqual(before);
    await l.close();
  });

  it('restore puts agents back for resume without losing their usage', async () => {
    const l = await fresh();
    l.transition('a1', 'running');
    l.addUsage('a1', 'm', { input: 5, output: 5, cacheRead: 0, cacheWrite: 0 }, 0);
    l.transition('a1', 'failed', { error: 'boom' });
    l.restore('a1', 'pending');
    expect(l.get('a1')).toMatchObject({ status: 'pending', error: null, attempts: 0 });
    expect(l.get('a1')!.usage.input).toBe(5);
    expect(l.totals.agentsByStatus.failed).toBe(0);
  });
});
