/** The three editor panels against the vscode stub: handshake, validation both ways, messages routed, live updates. */
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import type { TranscriptEntry } from '../../src/engine';
import { AgentHostMessageSchema, type AgentHostMessage } from '../../src/shared/agentProtocol';
import { DashboardHostMessageSchema, type DashboardHostMessage } from '../../src/shared/dashboardProtocol';
import { PlanHostMessageSchema } from '../../src/shared/planProtocol';
import { AgentPanels } from '../../src/vscode/panels/agent/agentView';
import { DashboardPanels } from '../../src/vscode/panels/dashboard/dashboardView';
import { RunLocation } from '../../src/vscode/location';
import { PlanEditors, type PlanService } from '../../src/vscode/panels/plan/planEditorView';
import { RunStore, type LiveRun } from '../../src/vscode/runs/runStore';
import { TranscriptRelay } from '../../src/vscode/runs/transcriptRelay';
import { buildLedger, doneThrough, integrationFile, shipFile, tallyFile } from './vscode/buildFixtures';
import { agent, fakeRun, NOW, plan, snapshot, tempRunFolder } from './vscode/fixtures';
import { commands, EventEmitter, resetStub, Uri, window, workspace, type PanelStub } from './vscode-stub';

const { ws, runId, runDir } = tempRunFolder('orch-panels-', '# a1\n<!-- DONE -->\n');
afterAll(() => rmSync(ws, { recursive: true, force: true }));
const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
const ext = Uri.file('/ext') as never;
const iso = (s: number) => new Date(NOW - 60_000 + s * 1000).toISOString();

function storeWith(s = snapshot()) {
  workspace.workspaceFolders = [{ uri: Uri.file(ws) }];
  const store = new RunStore(new RunLocation(), log);
  const live = fakeRun(s, runDir);
  store.attach(live as unknown as LiveRun);
  return { store, live };
}

const lastPanel = (): PanelStub => window.panels[window.panels.length - 1];
const posted = <T>(p: PanelStub): T[] => p.posted as T[];

beforeEach(() => { resetStub(); vi.clearAllMocks(); });

describe('the run dashboard panel', () => {
  writeFileSync(path.join(runDir, 'events.jsonl'), [
    { seq: 1, t: iso(0), type: 'agent', id: 'a1', status: 'queued' },
    { seq: 2, t: iso(1), type: 'agent', id: 'a1', status: 'running' },
    { seq: 3, t: iso(30), type: 'agent', id: 'a1', status: 'completed' },
  ].map((e) => JSON.stringify(e)).join('\n') + '\n{"seq":4,"t":"torn');

  it('opens one panel per run in the editor area with the CSP shell, and posts only after ready', async () => {
    const { store } = storeWith();
    const dashboards = new DashboardPanels({ extensionUri: ext, store, log, showAgent: vi.fn(), now: () => NOW });
    dashboards.show(runId);
    dashboards.show(runId);
    expect(window.createWebviewPanel).toHaveBeenCalledTimes(1);
    const p = lastPanel();
    expect(p.reveal).toHaveBeenCalledTimes(1);
    expect(p.viewType).toBe('orchestration.dashboard');
    expect((p.options as { localResourceRoots: Uri[] }).localResourceRoots.map((u) => u.fsPath)).toEqual(['/ext/dist', '/ext/media']);
    expect(p.webview.html).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]{24}'/);
    expect(p.webview.html).toContain('/ext/dist/dashboard.js');
    expect(p.webview.html).toContain('/ext/media/common.css');
    await new Promise((r) => setTimeout(r, 300));
    expect(p.posted).toEqual([]);
    await p.receive({ type: 'ready' });
    await vi.waitFor(() => expect(p.posted).toHaveLength(1));
    const msg = DashboardHostMessageSchema.parse(p.posted[0]);
    const a1 = msg.view?.lanes[0].rows.find((r) => r.id === 'a1');
    // From events.jsonl (the torn last line waits): queued 1 s, running 29 s.
    expect(a1?.segments).toEqual([{ s: 'queued', a: 0, b: 1000 }, { s: 'running', a: 1000, b: 30_000 }]);
    dashboards.dispose();
    expect(p.dispose).toHaveBeenCalled();
    store.dispose();
  });

  it('routes a click on a bar to the agent view, unfolds a lane on request, and rejects anything else', async () => {
    const { store } = storeWith();
    const showAgent = vi.fn();
    const dashboards = new DashboardPanels({ extensionUri: ext, store, log, showAgent, now: () => NOW });
    dashboards.show(runId);
    const p = lastPanel();
    await p.receive({ type: 'ready' });
    await p.receive({ type: 'showAgent', agentId: 'a2' });
    expect(showAgent).toHaveBeenCalledWith(runId, 'a2');
    await p.receive({ type: 'showAgent', agentId: '../../etc/passwd' });
    await p.receive({ type: 'eval', code: 'x' });
    expect(showAgent).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenCalledTimes(2);
    await vi.waitFor(() => expect(p.posted).toHaveLength(1));
    // A small lane lists its rows anyway: unfolding it re-posts, and changes nothing.
    await p.receive({ type: 'expand', laneId: 'a', expanded: true, page: 0 });
    await vi.waitFor(() => expect(p.posted).toHaveLength(2));
    expect(posted<DashboardHostMessage>(p)[1].view?.lanes[0]).toMatchObject({ aggregated: false, expanded: false });
    dashboards.dispose(); store.dispose();
  });

  it('re-posts live: a ledger change is posted again, and a page re-created after hiding gets the whole state again', async () => {
    const { store, live } = storeWith();
    const dashboards = new DashboardPanels({ extensionUri: ext, store, log, showAgent: vi.fn(), now: () => NOW });
    dashboards.show(runId);
    const p = lastPanel();
    await p.receive({ type: 'ready' });
    await vi.waitFor(() => expect(p.posted).toHaveLength(1));
    live.update(snapshot({ status: 'completed', endedAt: iso(40) }));
    await vi.waitFor(() => expect(posted<DashboardHostMessage>(p).at(-1)?.view?.status).toBe('completed'));
    const before = p.posted.length;
    p.hide();
    live.update(snapshot({ status: 'completed', task: 'Changed while hidden' }));
    await new Promise((r) => setTimeout(r, 700));
    expect(p.posted).toHaveLength(before);
    await p.receive({ type: 'ready' });
    await vi.waitFor(() => expect(posted<DashboardHostMessage>(p).at(-1)?.view?.task).toBe('Changed while hidden'));
    p.close();
    expect(dashboards.openRuns).toEqual([]);
    dashboards.dispose(); store.dispose();
  });
});

describe('the dashboard of a build run', () => {
  it('posts the board and the pipeline read from the run folder, opens the integration log, refuses paths out of the run, and shows the run in the Summary', async () => {
    const written = ['integration.json', 'ship.json', 'harden', 'checks'].map((f) => path.join(runDir, f));
    mkdirSync(path.join(runDir, 'harden'), { recursive: true });
    mkdirSync(path.join(runDir, 'checks'), { recursive: true });
    writeFileSync(path.join(runDir, 'integration.json'), JSON.stringify(integrationFile('passed')));
    writeFileSync(path.join(runDir, 'harden', 'tally.json'), JSON.stringify(tallyFile([], false)));
    writeFileSync(path.join(runDir, 'ship.json'), JSON.stringify(shipFile()));
    writeFileSync(path.join(runDir, 'checks', 'integration-0.log'), 'ok\n');
    try {
      const { store } = storeWith(buildLedger(doneThrough('assemble'), { status: 'completed' }));
      const dashboards = new DashboardPanels({ extensionUri: ext, store, log, showAgent: vi.fn(), now: () => NOW });
      dashboards.show(runId);
      const p = lastPanel();
      await p.receive({ type: 'ready' });
      await vi.waitFor(() => expect(p.posted).toHaveLength(1));
      const view = DashboardHostMessageSchema.parse(p.posted[0]).view;
      expect(view?.board?.cards.map((c) => [c.id, c.column, c.state])).toEqual([['b1', 'ship', 'done'], ['b2', 'ship', 'done']]);
      expect(view?.pipeline).toMatchObject({ integration: { state: 'passed', log: 'checks/integration-0.log' }, harden: { state: 'off' }, ship: { state: 'shipped' } });
      await p.receive({ type: 'openFile', path: 'checks/integration-0.log' });
      expect(window.showTextDocument).toHaveBeenCalledTimes(1);
      await p.receive({ type: 'openFile', path: '../../secret.txt' });
      expect(window.showTextDocument).toHaveBeenCalledTimes(1);
      expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('outside run'));
      await p.receive({ type: 'showSummary' });
      expect(commands.executeCommand).toHaveBeenCalledWith('orchestration.showRun', runId);
      dashboards.dispose(); store.dispose();
    } finally {
      for (const f of written) rmSync(f, { recursive: true, force: true });
    }
  });
});

describe('the agent view panel', () => {
  const t = (s: number) => iso(s);
  const fileEntries: TranscriptEntry[] = [
    { t: t(1), attempt: 1, type: 'attempt', model: 'claude-haiku-5-5', systemHash: 'h', sharedHash: null, prompt: 'Find the handlers', promptBytes: 17, instruction: null },
    { t: t(2), attempt: 1, type: 'request', turn: 1, model: 'claude-haiku-5-5' },
  ];
  const file = path.join(runDir, 'transcripts', 'a2.jsonl');
  mkdirSync(path.dirname(file), { recursive: true });

  function relayWithRun() {
    const relay = new TranscriptRelay();
    const emitter = new EventEmitter<{ agentId: string; entry: TranscriptEntry }>();
    relay.follow({ id: runId, onDidTranscript: (l) => emitter.event(l) });
    return { relay, emit: (agentId: string, entry: TranscriptEntry) => emitter.fire({ agentId, entry }) };
  }

  it('shows the transcript file, then streams new entries in batches: deltas merged, nothing twice, never the whole transcript again', async () => {
    writeFileSync(file, fileEntries.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const { store } = storeWith();
    const { relay, emit } = relayWithRun();
    const agents = new AgentPanels({ extensionUri: ext, store, relay, isExecuting: () => true, log, settleMs: 0, batchMs: 20, followMs: 60_000 });
    agents.show(runId, 'a2');
    const p = lastPanel();
    expect(p.title).toBe('Agent a2');
    await p.receive({ type: 'ready' });
    await vi.waitFor(() => expect(posted<AgentHostMessage>(p).some((m) => m.type === 'reset' && !m.loading)).toBe(true));
    const reset = AgentHostMessageSchema.parse(posted<AgentHostMessage>(p).filter((m) => m.type === 'reset').at(-1));
    expect(reset.type === 'reset' && reset.entries.map((e) => e.type)).toEqual(['attempt', 'request']);
    expect(reset.type === 'reset' && reset.header).toMatchObject({ id: 'a2', status: 'running', actions: { stop: true } });
    const n = p.posted.length;
    emit('a2', fileEntries[1]);
    for (const d of ['Look', 'ing ', 'at src']) emit('a2', { t: t(3), attempt: 1, type: 'text_delta', text: d });
    emit('a2', { t: t(4), attempt: 1, type: 'tool_call', id: 'tu1', name: 'read_file', input: { path: 'src/a.ts' } });
    emit('a1', { t: t(4), attempt: 1, type: 'request', turn: 9, model: 'x' });
    await vi.waitFor(() => expect(p.posted.length).toBe(n + 1));
    const append = AgentHostMessageSchema.parse(p.posted[n]);
    expect(append.type).toBe('append');
    expect(append.type === 'append' && append.entries).toEqual([
      { t: t(3), attempt: 1, type: 'text_delta', text: 'Looking at src' },
      { t: t(4), attempt: 1, type: 'tool_call', id: 'tu1', name: 'read_file', input: '{\n  "path": "src/a.ts"\n}' },
    ]);
    // A reload of the page gets everything once, deltas joined.
    await p.receive({ type: 'ready' });
    await vi.waitFor(() => expect(posted<AgentHostMessage>(p).at(-1)?.type).toBe('reset'));
    const again = posted<AgentHostMessage>(p).at(-1);
    expect(again?.type === 'reset' && again.entries.map((e) => e.type)).toEqual(['attempt', 'request', 'text_delta', 'tool_call']);
    agents.dispose(); relay.dispose(); store.dispose();
  });

  it('follows a run another process executes by reading what its transcript file gains', async () => {
    writeFileSync(file, fileEntries.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const { store } = storeWith();
    const relay = new TranscriptRelay();
    const agents = new AgentPanels({ extensionUri: ext, store, relay, isExecuting: () => false, log, settleMs: 0, batchMs: 10, followMs: 30 });
    agents.show(runId, 'a2');
    const p = lastPanel();
    await p.receive({ type: 'ready' });
    await vi.waitFor(() => expect(posted<AgentHostMessage>(p).some((m) => m.type === 'reset' && !m.loading)).toBe(true));
    appendFileSync(file, JSON.stringify({ t: t(5), attempt: 1, type: 'text', text: 'Found 3 routes.' }) + '\n' + '{"t":"torn');
    await vi.waitFor(() => expect(posted<AgentHostMessage>(p).some((m) => m.type === 'append' && m.entries.some((e) => e.type === 'text'))).toBe(true));
    const header = posted<AgentHostMessage>(p).flatMap((m) => (m.type === 'append' && m.header ? [m.header] : [])).at(-1);
    expect(header?.live).toBe(true);
    agents.dispose(); relay.dispose(); store.dispose();
  });

  it('routes its buttons to the agent commands and opens only files inside the run', async () => {
    const { store } = storeWith();
    const agents = new AgentPanels({ extensionUri: ext, store, relay: new TranscriptRelay(), isExecuting: () => false, log, settleMs: 0 });
    agents.show(runId, 'a1');
    const p = lastPanel();
    await p.receive({ type: 'stop' });
    await p.receive({ type: 'rerun' });
    await p.receive({ type: 'ask' });
    expect(commands.executeCommand.mock.calls).toEqual([['orchestration.stopAgent', runId, 'a1'], ['orchestration.rerunAgent', runId, 'a1'], ['orchestration.askAgent', runId, 'a1']]);
    await p.receive({ type: 'openOutput' });
    expect(window.showTextDocument).toHaveBeenCalledWith(expect.objectContaining({ fsPath: path.join(runDir, 'workers', 'a1.md') }), { preview: true });
    await p.receive({ type: 'openFile', path: '../../../etc/passwd' });
    expect(window.showWarningMessage).toHaveBeenCalledWith(expect.stringMatching(/^Refused to open/));
    agents.show(runId, 'nobody');
    expect(window.createWebviewPanel).toHaveBeenCalledTimes(1);
    agents.dispose(); store.dispose();
  });
});

describe('the plan review panel', () => {
  const estimate = { tokensLow: 1, tokensHigh: 2, costLowUsd: 0.1, costHighUsd: 0.2 };
  function service(over: { revisePlan?: PlanService['revisePlan'] } = {}) {
    const svc = {
      previewPlan: vi.fn<PlanService['previewPlan']>(async (_id, p) => {
        const short = (p.domains as typeof plan.domains).flatMap((d) => d.workers).find((w) => w.task.length < 8);
        return short ? { ok: false, errors: [`Worker "${short.id}" task is too short`] } : { ok: true, estimate, agents: [agent({ id: 'coord-a', role: 'coordinator' })] };
      }),
      revisePlan: vi.fn<PlanService['revisePlan']>(over.revisePlan ?? (async () => ({ ok: true }))),
      approve: vi.fn<PlanService['approve']>(async () => undefined),
      decline: vi.fn<PlanService['decline']>(async () => undefined),
      isExecuting: vi.fn<PlanService['isExecuting']>(() => false),
    };
    return svc satisfies PlanService;
  }
  const models = () => ({ haiku: 'h', sonnet: 's', opus: 'o' });
  const state = (p: PanelStub) => PlanHostMessageSchema.parse(p.posted.at(-1));

  it('previews each edit (debounced), then saves the edited plan and starts the run on Approve', async () => {
    const { store } = storeWith(snapshot({ status: 'awaiting-approval' }));
    const svc = service();
    const onApproved = vi.fn();
    const editors = new PlanEditors({ extensionUri: ext, store, service: svc, log, models, onApproved, previewDelayMs: 20 });
    await editors.show(runId);
    const p = lastPanel();
    await p.receive({ type: 'ready' });
    await vi.waitFor(() => expect(state(p).view?.canApprove).toBe(true));
    await p.receive({ type: 'edit', edit: { kind: 'tier', agentId: 'a1', tier: 'opus' } });
    await p.receive({ type: 'edit', edit: { kind: 'remove', agentId: 'b1' } });
    await vi.waitFor(() => expect(state(p).view?.checking).toBe(false));
    expect(svc.previewPlan).toHaveBeenCalledTimes(1);
    const v = state(p).view!;
    expect(v.changed).toBe(true);
    expect(v.estimate).toEqual(estimate);
    expect(v.groups.map((g) => g.items.map((i) => `${i.id}:${i.tier}`))).toEqual([['a1:opus', 'a2:sonnet'], []]);
    await p.receive({ type: 'approve' });
    const saved = svc.revisePlan.mock.calls[0][1];
    expect((saved.domains as typeof plan.domains)[0].workers[0].tier).toBe('opus');
    expect(svc.approve).toHaveBeenCalledWith(runId);
    expect(onApproved).toHaveBeenCalledWith(runId);
    expect(p.isOpen).toBe(false);
    editors.dispose(); store.dispose();
  });

  it('keeps an invalid draft and its errors, and never approves it', async () => {
    const { store } = storeWith(snapshot({ status: 'awaiting-approval' }));
    const svc = service({ revisePlan: async () => ({ ok: false, errors: ['Plan has 2 domains; between 3 and 5 are allowed'] }) });
    const editors = new PlanEditors({ extensionUri: ext, store, service: svc, log, models, previewDelayMs: 10 });
    await editors.show(runId);
    const p = lastPanel();
    await p.receive({ type: 'ready' });
    await p.receive({ type: 'edit', edit: { kind: 'task', agentId: 'a2', task: 'tiny' } });
    await vi.waitFor(() => expect(state(p).view?.groups[0].items[1].errors).toEqual(['Worker "a2" task is too short']));
    expect(state(p).view).toMatchObject({ canApprove: false, estimate: null });
    await p.receive({ type: 'edit', edit: { kind: 'task', agentId: 'a2', task: 'Review the auth middleware and the session store' } });
    await vi.waitFor(() => expect(state(p).view?.canApprove).toBe(true));
    await p.receive({ type: 'approve' });
    expect(svc.approve).not.toHaveBeenCalled();
    expect(state(p).view?.errors).toEqual(['Plan has 2 domains; between 3 and 5 are allowed']);
    expect(state(p).view?.groups[0].items[1].task).toBe('Review the auth middleware and the session store');
    expect(p.isOpen).toBe(true);
    await p.receive({ type: 'reset' });
    await vi.waitFor(() => expect(state(p).view?.changed).toBe(false));
    editors.dispose(); store.dispose();
  });

  it('locks a plan that is no longer awaiting approval and says why', async () => {
    const { store, live } = storeWith(snapshot({ status: 'awaiting-approval' }));
    const svc = service();
    const editors = new PlanEditors({ extensionUri: ext, store, service: svc, log, models, previewDelayMs: 10 });
    await editors.show(runId);
    const p = lastPanel();
    await p.receive({ type: 'ready' });
    live.update(snapshot({ status: 'running' }));
    await vi.waitFor(() => expect(state(p).view?.editable).toBe(false));
    await p.receive({ type: 'edit', edit: { kind: 'tier', agentId: 'a1', tier: 'opus' } });
    expect(state(p).view?.note).toMatch(/approved and is running/);
    await p.receive({ type: 'approve' });
    await p.receive({ type: 'decline' });
    expect(svc.approve).not.toHaveBeenCalled();
    expect(svc.decline).not.toHaveBeenCalled();
    expect(svc.previewPlan).not.toHaveBeenCalled();
    editors.dispose(); store.dispose();
  });

  it('opens by itself when a plan is ready, unless plans are approved without review', async () => {
    const { store } = storeWith(snapshot({ status: 'awaiting-approval' }));
    const auto = { on: true };
    const editors = new PlanEditors({ extensionUri: ext, store, service: service(), log, models, autoApprove: () => auto.on });
    await editors.planned(runId);
    expect(window.createWebviewPanel).not.toHaveBeenCalled();
    auto.on = false;
    await editors.planned(runId);
    expect(lastPanel().show).toMatchObject({ preserveFocus: true });
    editors.dispose(); store.dispose();
  });
});
