import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import type { AgentRecord, BatchRecord, LedgerSnapshot, RunOrigin } from '../../src/engine';
import { DashboardViewSchema } from '../../src/shared/dashboardProtocol';
import { PlanEditorViewSchema } from '../../src/shared/planProtocol';
import { HostMessageSchema } from '../../src/shared/protocol';
import { BatchCollector, RESUME_ACTION } from '../../src/vscode/runs/batchCollect';
import { agentBatchState, batchOfAgent, shortBatchId } from '../../src/vscode/runs/batchView';
import { buildDashboard, TransitionLog } from '../../src/vscode/panels/dashboard/dashboardModel';
import { LedgerTree } from '../../src/vscode/tree/ledgerTree';
import { NARROW_AGENT_CHARS, NARROW_RUN_CHARS } from '../../src/vscode/tree/ledgerRows';
import { RunLocation } from '../../src/vscode/location';
import { buildPlanEditorView, modelsOf } from '../../src/vscode/panels/plan/planEditorModel';
import { RunStore, type LiveRun } from '../../src/vscode/runs/runStore';
import { readSettings, SettingsError } from '../../src/vscode/settings';
import { statusText } from '../../src/vscode/tree/statusBar';
import { buildRunView, runActions } from '../../src/vscode/panels/summary/summaryModel';
import { agentItem, runItem } from '../../src/vscode/tree/treeItems';
import { agent, fakeRun, NOW, plan, snapshot } from './vscode/fixtures';
import { commands, EventEmitter, MarkdownString, resetStub, ThemeIcon, workspace } from './vscode-stub';

const ID = 'msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d';
const OLD = 'msgbatch_01AAAAAAAAAAAAAAAAAAAA0ld1';
const silent = { info() {}, warn() {}, error() {} };
/** A tooltip's markdown as the user reads it (appendText escapes `_` and the like). */
const unescape = (md: string) => md.replace(/\\(.)/g, '$1');

function batch(over: Partial<BatchRecord> = {}): BatchRecord {
  return {
    id: ID, submittedAt: '2025-06-01T11:58:00.000Z', status: 'in_progress',
    requests: [{ customId: 'm1__1', agentId: 'm1' }, { customId: 'm2__1', agentId: 'm2' }],
    counts: { processing: 279, succeeded: 20, errored: 1, canceled: 0, expired: 0 }, notes: [],
    ...over,
  };
}

const mapper = (over: Partial<AgentRecord> = {}): AgentRecord => agent({
  id: 'm1', role: 'mapper', domain: 'map', task: 'Summarise the files of partition 1', status: 'running', endedAt: null,
  usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, costUsd: 0, batch: true, ...over,
});

/** A map-reduce run with two mappers in one batch, one planned for a later batch, and a reducer on the realtime path. */
function batchedRun(over: Partial<LedgerSnapshot> = {}): LedgerSnapshot {
  return snapshot({
    pattern: 'map-reduce', simulated: false,
    groups: [{ id: 'map', label: 'Map' }, { id: 'reduce', label: 'Reduce' }],
    agents: [
      mapper(), mapper({ id: 'm2', task: 'Summarise the files of partition 2' }),
      mapper({ id: 'm3', status: 'pending', startedAt: null, task: 'Summarise the files of partition 3' }),
      agent({ id: 'r1', role: 'reducer', domain: 'reduce', status: 'pending', startedAt: null, endedAt: null, costUsd: 0 }),
    ],
    batches: [batch()],
    ...over,
  });
}

beforeEach(() => resetStub());

describe('batch mode in the Ledger tree', () => {
  const visible = (item: { label?: unknown; description?: unknown }, chars: number) => `${String(item.label)} ${String(item.description)}`.slice(0, chars);

  it('shows an agent waiting in a batch with the batch\'s id, progress and counts, and the whole id in the tooltip', () => {
    const s = batchedRun();
    const a = s.agents[0];
    const item = agentItem(a, s.runId, NOW, s.status, false, 'map-reduce', agentBatchState(a, s));
    expect(item.description).toBe(`in batch 21/300 · msgbatch_…DV8d · 279 processing, 20 succeeded, 1 errored · haiku · Summarise the files of partition 1`);
    expect(visible(item, NARROW_AGENT_CHARS)).toMatch(/^m1 in batch 21\/300 · /);
    expect((item.iconPath as unknown as ThemeIcon).id).toBe('cloud');
    expect(item.contextValue).toBe('agent.mapper.running');
    const tip = unescape((item.tooltip as unknown as MarkdownString).value);
    expect(tip).toContain(ID);
    expect(tip).toMatch(/Waiting in batch/);
    expect(tip).toContain('279 processing, 20 succeeded, 1 errored');
  });

  it('finds the agent in the newest batch holding it, and names expired and canceled requests where there are any', () => {
    const old = batch({ id: OLD, status: 'collected', counts: { processing: 0, succeeded: 1, errored: 0, canceled: 0, expired: 1 }, notes: ['1 of 2 requests did not succeed (1 expired); sent again in a later batch'] });
    const retry = batch({ requests: [{ customId: 'm2__2', agentId: 'm2' }], counts: { processing: 0, succeeded: 0, errored: 0, canceled: 1, expired: 0 }, status: 'canceling' });
    const s = batchedRun({ batches: [old, retry] });
    expect(batchOfAgent(s, 'm2')?.id).toBe(ID);
    expect(batchOfAgent(s, 'm1')?.id).toBe(OLD);
    const m2 = s.agents[1];
    expect(agentItem(m2, s.runId, NOW, s.status, false, 'map-reduce', agentBatchState(m2, s)).description)
      .toBe('batch canceling 1/1 · msgbatch_…DV8d · 1 canceled · haiku · Summarise the files of partition 2');
    // m1's only batch is collected: it is no longer waiting in it (it is being verified or retried).
    expect(agentBatchState(s.agents[0], s).kind).toBe('planned');
  });

  it('says an agent is planned for a batch before it is submitted, and marks a finished one as batched', () => {
    const s = batchedRun();
    const m3 = s.agents[2];
    expect(agentItem(m3, s.runId, NOW, s.status, false, 'map-reduce', agentBatchState(m3, s)).description).toBe('pending · batch planned · haiku · Summarise the files of partition 3');
    const done = mapper({ status: 'completed', costUsd: 0.002, endedAt: new Date(NOW).toISOString() });
    const s2 = batchedRun({ agents: [done], batches: [batch({ status: 'collected' })] });
    expect(agentItem(done, s2.runId, NOW, 'running', false, 'map-reduce', agentBatchState(done, s2)).description).toMatch(/^done · \$0\.002 · batched · haiku · /);
    const realtime = s.agents[3];
    expect(agentItem(realtime, s.runId, NOW, s.status, false, 'map-reduce', agentBatchState(realtime, s)).description).not.toMatch(/batch/);
  });

  it('keeps a cut-off run\'s batched agent as cut off and in its batch, and says Resume collects it', () => {
    const s = batchedRun({ status: 'interrupted' });
    const a = s.agents[0];
    const item = agentItem(a, s.runId, NOW, s.status, false, 'map-reduce', agentBatchState(a, s));
    expect(item.description).toMatch(/^cut off · in batch 21\/300 · msgbatch_…DV8d · /);
    expect(unescape((item.tooltip as unknown as MarkdownString).value)).toMatch(/Resume collects its results and submits nothing again/);
    expect(item.contextValue).toBe('agent.mapper.interrupted');
  });

  it('mentions batches in flight on the run row and lists them in its tooltip', () => {
    const s = batchedRun();
    const item = runItem(s, NOW);
    expect(item.description).toBe('running · $0.42 · batch 21/300 · 1m 0s · Audit this repo for security issues');
    expect(visible(item, NARROW_RUN_CHARS)).toMatch(/running · \$0\.42/);
    const tip = unescape((item.tooltip as unknown as MarkdownString).value);
    expect(tip).toContain('1 Message Batch in flight:** 21 of 300 requests answered');
    expect(tip).toContain(ID);
    expect(runItem(batchedRun({ batches: [batch({ status: 'collected' })] }), NOW).description).not.toMatch(/batch/);
  });

  it('gives the tree\'s agent rows their batch from the ledger', () => {
    const store = new RunStore(new RunLocation(), silent);
    const s = batchedRun();
    store.attach(fakeRun(s) as unknown as LiveRun);
    const tree = new LedgerTree(store, undefined, () => NOW);
    expect(tree.getTreeItem({ kind: 'agent', runId: s.runId, agentId: 'm1' }).description).toMatch(/^in batch 21\/300 · msgbatch_…DV8d/);
    expect(tree.getTreeItem({ kind: 'agent', runId: s.runId, agentId: 'm3' }).description).toMatch(/^pending · batch planned/);
    tree.dispose();
    store.dispose();
  });

  it('shortens long batch ids to their kind and last characters', () => {
    expect(shortBatchId(ID)).toBe('msgbatch_…DV8d');
    expect(shortBatchId('short_id')).toBe('short_id');
  });
});

describe('batch mode in the status bar', () => {
  it('shows the batches\' progress while a run waits on them, and agents on the realtime path apart', () => {
    const s = batchedRun();
    const st = statusText([s])!;
    // m1 and m2 wait in the batch: nothing runs on the realtime path.
    expect(st.text).toBe('$(cloud) batch 21/300 · 0/4 · $0.42');
    expect(st.tooltip).toContain(`2 agents waiting in 1 Message Batch (21 of 300 requests answered: ${ID} 279 processing, 20 succeeded, 1 errored)`);
    const mixed = batchedRun({ agents: [...s.agents, agent({ id: 'r2', role: 'reducer', domain: 'reduce', status: 'running', endedAt: null })] });
    expect(statusText([mixed])!.text).toBe('$(cloud) 1 running · batch 21/300 · 0/5 · $0.42');
  });

  it('goes back to the realtime count once the batches are collected', () => {
    expect(statusText([batchedRun({ batches: [batch({ status: 'collected' })] })])!.text).toMatch(/^\$\(loading~spin\) 2 running · 0\/4 · /);
  });
});

describe('batch mode on the dashboard', () => {
  it('lists each batch with its id, status, counts and notes through the typed protocol', () => {
    const s = batchedRun({ batches: [batch({ id: OLD, status: 'collected', counts: { processing: 0, succeeded: 1, errored: 0, canceled: 0, expired: 1 }, notes: ['results read 1: the results file was cut mid-line'] }), batch()] });
    const v = buildDashboard(s, undefined, new TransitionLog(), { now: NOW });
    expect(DashboardViewSchema.parse(v)).toEqual(v);
    expect(v.batches).toEqual([
      { id: OLD, short: 'msgbatch_…0ld1', status: 'collected', submittedAt: '2025-06-01T11:58:00.000Z', requests: 2, answered: 2, counts: { processing: 0, succeeded: 1, errored: 0, canceled: 0, expired: 1 }, notes: ['results read 1: the results file was cut mid-line'] },
      { id: ID, short: 'msgbatch_…DV8d', status: 'in_progress', submittedAt: '2025-06-01T11:58:00.000Z', requests: 300, answered: 21, counts: { processing: 279, succeeded: 20, errored: 1, canceled: 0, expired: 0 }, notes: [] },
    ]);
    expect(v.batchesMore).toBe(0);
    expect(buildDashboard(snapshot(), undefined, new TransitionLog(), { now: NOW }).batches).toEqual([]);
  });
});

describe('batch mode in the plan tables', () => {
  it('marks batched agents in the Summary plan and counts them for the batch-rate note', () => {
    const s = batchedRun({ status: 'awaiting-approval' });
    const run = HostMessageSchema.parse({ type: 'state', run: buildRunView(s, undefined, null, runActions(s, false)) }).run!;
    expect(run.batched).toBe(3);
    const marked = [...run.groups.flatMap((g) => g.agents), ...run.others].filter((a) => a.batch).map((a) => a.id);
    expect(marked).toEqual(['m1', 'm2', 'm3']);
  });

  it('marks batched agents in the plan editor, derived ones too, from the engine\'s preview', () => {
    const s = snapshot({ status: 'awaiting-approval' });
    const agents: AgentRecord[] = [agent({ id: 'a1', batch: true }), agent({ id: 'a2' }), agent({ id: 'b1', domain: 'b' }),
      agent({ id: 'coord-a', role: 'coordinator', batch: true }), agent({ id: 'final', role: 'final', domain: null })];
    const estimate = { tokensLow: 1, tokensHigh: 2, costLowUsd: 0.1, costHighUsd: 0.2 };
    const v = buildPlanEditorView({
      snapshot: s, original: plan, draft: plan, preview: { ok: true, estimate, agents }, checking: false, locked: null, note: null,
      models: modelsOf(s, { haiku: 'h', sonnet: 's', opus: 'o' }),
    });
    expect(PlanEditorViewSchema.parse(v)).toEqual(v);
    expect(v.batched).toBe(2);
    expect(v.groups[0].items.map((i) => [i.id, i.batch])).toEqual([['a1', true], ['a2', false]]);
    expect(v.derived.map((d) => [d.id, d.batch])).toEqual([['coord-a', true], ['final', false]]);
  });
});

describe('batch settings', () => {
  const section = (values: Record<string, unknown>) => ({ get: <T>(key: string) => values[key] as T | undefined });
  const inspected = (userSet: Record<string, unknown>, workspaceSet: Record<string, unknown> = {}) => ({
    get: <T>(key: string) => (key in workspaceSet ? workspaceSet[key] : userSet[key]) as T | undefined,
    inspect: <T>(key: string) => ({ key, globalValue: userSet[key] as T | undefined, workspaceValue: workspaceSet[key] as T | undefined }),
  });

  it('passes the user\'s batch and batchRetry to the engine config the runs use', () => {
    const s = readSettings(section({ batch: 'auto', batchRetry: 'realtime' }));
    expect(s.config.batch).toBe('auto');
    expect(s.config.batchRetry).toBe('realtime');
    expect(readSettings(section({})).config.batch).toBeUndefined();
  });

  it('names an invalid batch setting and what it expected', () => {
    try {
      readSettings(section({ batch: 'always', batchRetry: 'never' }));
      expect.unreachable('readSettings should refuse');
    } catch (err) {
      expect(err).toBeInstanceOf(SettingsError);
      expect((err as SettingsError).keys).toEqual(['orchestration.batch', 'orchestration.batchRetry']);
      expect((err as Error).message).toMatch(/orchestration\.batch: .*'off' \| 'auto'|orchestration\.batch: .*"off"/);
    }
  });

  it('obeys batch only from the user: a workspace\'s batch is machine-only and named as ignored; its batchRetry is kept', () => {
    const s = readSettings(inspected({}, { batch: 'auto', batchRetry: 'realtime' }));
    expect(s.config.batch).toBeUndefined();
    expect(s.config.batchRetry).toBe('realtime');
    expect(s.ignored.map((i) => i.key)).toEqual(['batch']);
  });

  it('declares batch with machine scope and both settings with the engine\'s values', () => {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, Record<string, unknown>> } } };
    const props = pkg.contributes.configuration.properties;
    expect(props['orchestration.batch']).toMatchObject({ enum: ['off', 'auto'], default: 'off', scope: 'machine' });
    expect(props['orchestration.batch'].markdownDescription).toMatch(/half the realtime price.*within 24 h/s);
    expect(props['orchestration.batchRetry']).toMatchObject({ enum: ['batch', 'realtime'], default: 'batch' });
  });
});

describe('a run cut off with batches at the API, on start', () => {
  function setup(runs: LedgerSnapshot[], origin: RunOrigin = { local: true }, active = new Set<string>(), answer?: string, simulatedProvider = false) {
    const changed = new EventEmitter<void>();
    const store = { runs: () => runs, onDidChange: changed.event };
    const resume = vi.fn(async (_runId: string) => undefined);
    const info = vi.fn(async (..._args: string[]): Promise<string | undefined> => answer);
    const collector = new BatchCollector({
      store, notices: { info }, isActive: (id) => active.has(id), resume, simulatedProvider: () => simulatedProvider,
      location: { workspace: () => '/ws', outputRoot: () => '.orchestration' }, originOf: async () => origin,
    });
    return { collector, resume, info, changed };
  }

  it('resumes it once to collect the batches, telling the user which run and which batches', async () => {
    const s = batchedRun({ status: 'interrupted' });
    const { collector, resume, info, changed } = setup([s]);
    await collector.started;
    changed.fire();
    await collector.check();
    expect(resume).toHaveBeenCalledTimes(1);
    expect(resume).toHaveBeenCalledWith(s.runId);
    expect(info).toHaveBeenCalledTimes(1);
    expect(info.mock.calls[0][0]).toBe(`Run "Audit this repo for security issues" (${s.runId}) was cut off while 1 Message Batch (${ID}) worked. Collecting their results now; nothing is submitted again.`);
    collector.dispose();
  });

  it('leaves alone runs without uncollected batches, runs still running, and runs this window holds', async () => {
    const collected = batchedRun({ status: 'interrupted', batches: [batch({ status: 'collected' })] });
    const running = batchedRun({ runId: '20250601-115600-cd34' });
    const held = batchedRun({ runId: '20250601-115700-ef56', status: 'interrupted' });
    const { collector, resume, info } = setup([collected, running, held], { local: true }, new Set([held.runId]));
    await collector.check();
    expect(resume).not.toHaveBeenCalled();
    expect(info).not.toHaveBeenCalled();
    collector.dispose();
  });

  it('collects a simulated run like a real one while the provider is still the simulated one (its simulator kept the batches)', async () => {
    const { collector, resume } = setup([batchedRun({ status: 'interrupted', simulated: true })], { local: true }, new Set(), undefined, true);
    await collector.started;
    expect(resume).toHaveBeenCalledTimes(1);
    collector.dispose();
  });

  it('only offers Resume Run for a run folder not created here, a simulated run now that the provider is the API, or in Restricted Mode', async () => {
    const s = batchedRun({ status: 'interrupted' });
    const foreign = setup([s], { local: false, reason: 'This run folder came with the workspace.', claimedWorkspace: null, movedFrom: null }, new Set(), RESUME_ACTION);
    await foreign.collector.started;
    expect(foreign.resume).not.toHaveBeenCalled();
    expect(foreign.info.mock.calls[0]).toEqual([expect.stringMatching(/cut off with 1 Message Batch \(msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d\) not collected.*not created on this machine/), RESUME_ACTION]);
    expect(commands.executeCommand).toHaveBeenCalledWith('orchestration.resumeRun', s.runId);
    foreign.collector.dispose();

    const simulated = setup([batchedRun({ status: 'interrupted', simulated: true })]);
    await simulated.collector.started;
    expect(simulated.resume).not.toHaveBeenCalled();
    expect(simulated.info.mock.calls[0]).toEqual([expect.stringMatching(/ran on the simulated provider, and the provider is now the Anthropic API/), RESUME_ACTION]);
    simulated.collector.dispose();

    workspace.isTrusted = false;
    const restricted = setup([s]);
    await restricted.collector.started;
    expect(restricted.resume).not.toHaveBeenCalled();
    expect(restricted.info.mock.calls[0][0]).toMatch(/Restricted Mode/);
    restricted.collector.dispose();
  });
});
