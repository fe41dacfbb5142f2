/**
 * Editor panels after a window reload: VS Code hands each kept panel and its page's saved state to
 * the serializer registered for its view type; the panel comes back live, or says why it cannot.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { AgentHostMessageSchema } from '../../src/shared/agentProtocol';
import { DashboardHostMessageSchema } from '../../src/shared/dashboardProtocol';
import { PlanHostMessageSchema } from '../../src/shared/planProtocol';
import { AGENT_VIEW_TYPE, AgentPanels } from '../../src/vscode/panels/agent/agentView';
import { DASHBOARD_VIEW_TYPE, DashboardPanels } from '../../src/vscode/panels/dashboard/dashboardView';
import { RunLocation } from '../../src/vscode/location';
import { PLAN_VIEW_TYPE, PlanEditors, type PlanService } from '../../src/vscode/panels/plan/planEditorView';
import { RunStore, type LiveRun } from '../../src/vscode/runs/runStore';
import { TranscriptRelay } from '../../src/vscode/runs/transcriptRelay';
import { webviewShell } from '../../src/vscode/panels/webviewHtml';
import { restoredIdentity } from '../../src/vscode/panels/webviewPanel';
import { fakeRun, NOW, snapshot, tempRunFolder } from './vscode/fixtures';
import { makePanel, resetStub, Uri, window, workspace, type PanelStub } from './vscode-stub';

const { ws, runId, runDir } = tempRunFolder('orch-restore-', '# a1\n<!-- DONE -->\n');
afterAll(() => rmSync(ws, { recursive: true, force: true }));
const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
const ext = Uri.file('/ext') as never;

function storeWith(s = snapshot()) {
  workspace.workspaceFolders = [{ uri: Uri.file(ws) }];
  const store = new RunStore(new RunLocation(), log);
  store.attach(fakeRun(s, runDir) as unknown as LiveRun);
  return store;
}

/** Plays what VS Code does after a reload: a fresh panel of `viewType` and the page's last saved state. */
async function restore(viewType: string, state: unknown): Promise<PanelStub> {
  const serializer = window.serializers.get(viewType);
  if (!serializer) throw new Error(`no serializer for ${viewType}`);
  const panel = makePanel(viewType, 'restored', {}, {});
  await serializer.deserializeWebviewPanel(panel, state);
  return panel;
}

const saved = (restoreId: object) => ({ restore: restoreId, last: { type: 'state', view: null, note: 'old' } });

beforeEach(() => { resetStub(); vi.clearAllMocks(); });

describe('a restored run dashboard', () => {
  it('adopts the panel VS Code kept, as live as one opened by command', async () => {
    const store = storeWith();
    const showAgent = vi.fn();
    const dashboards = new DashboardPanels({ extensionUri: ext, store, log, showAgent, now: () => NOW });
    const p = await restore(DASHBOARD_VIEW_TYPE, saved({ runId }));
    expect(window.createWebviewPanel).not.toHaveBeenCalled();
    expect(dashboards.openRuns).toEqual([runId]);
    expect(p.webview.html).toContain('/ext/dist/dashboard.js');
    // The page keeps what it shows, for the next reload.
    expect(p.webview.html).toContain(`data-restore="{&quot;runId&quot;:&quot;${runId}&quot;}"`);
    expect((p.webview.options as { enableScripts: boolean; localResourceRoots: Uri[] }).localResourceRoots.map((u) => u.fsPath)).toEqual(['/ext/dist', '/ext/media']);
    expect(p.title).toBe('Dashboard: Audit this repo for security issues');
    await p.receive({ type: 'ready' });
    await vi.waitFor(() => expect(p.posted).toHaveLength(1));
    expect(DashboardHostMessageSchema.parse(p.posted[0]).view?.runId).toBe(runId);
    await p.receive({ type: 'showAgent', agentId: 'a2' });
    expect(showAgent).toHaveBeenCalledWith(runId, 'a2');
    // Asking for the run again reveals the restored panel instead of opening a second.
    dashboards.show(runId);
    expect(window.createWebviewPanel).not.toHaveBeenCalled();
    expect(p.reveal).toHaveBeenCalled();
    dashboards.dispose(); store.dispose();
  });

  it('says so in the panel when the run no longer exists', async () => {
    const store = storeWith();
    const dashboards = new DashboardPanels({ extensionUri: ext, store, log, showAgent: vi.fn(), now: () => NOW });
    const p = await restore(DASHBOARD_VIEW_TYPE, saved({ runId: '20200101-000000-dead' }));
    await p.receive({ type: 'ready' });
    await vi.waitFor(() => expect(p.posted).toHaveLength(1));
    const msg = DashboardHostMessageSchema.parse(p.posted[0]);
    expect(msg.view).toBeNull();
    expect(msg.note).toBe('Run 20200101-000000-dead is no longer in the workspace (deleted, or the output root changed).');
    dashboards.dispose(); store.dispose();
  });

  it.each([
    ['no state at all', undefined],
    ['a state from before restoring existed', { type: 'state', view: null, note: null }],
    ['a run id that is a path', { restore: { runId: '../../etc' } }],
    ['an extra field', { restore: { runId, script: 'x' } }],
  ])('treats the saved state as untrusted: %s gives a plain page saying why, and nothing runs', async (_what, state) => {
    const store = storeWith();
    const dashboards = new DashboardPanels({ extensionUri: ext, store, log, showAgent: vi.fn(), now: () => NOW });
    const p = await restore(DASHBOARD_VIEW_TYPE, state);
    expect(dashboards.openRuns).toEqual([]);
    expect((p.webview.options as { enableScripts: boolean }).enableScripts).toBe(false);
    expect(p.webview.html).not.toContain('<script');
    expect(p.webview.html).toContain("default-src 'none'");
    expect(p.webview.html).toContain('This run dashboard could not be restored after the reload');
    expect(log.warn).toHaveBeenCalled();
    dashboards.dispose(); store.dispose();
  });
});

describe('a restored agent view', () => {
  it('comes back for the same agent and posts its transcript when the page is ready', async () => {
    const store = storeWith();
    const agents = new AgentPanels({ extensionUri: ext, store, relay: new TranscriptRelay(), isExecuting: () => false, log, settleMs: 0, followMs: 60_000 });
    const p = await restore(AGENT_VIEW_TYPE, saved({ runId, agentId: 'a2' }));
    expect(agents.open).toEqual([`${runId}/a2`]);
    expect(p.title).toBe('Agent a2');
    await p.receive({ type: 'ready' });
    await vi.waitFor(() => expect(p.posted.map((m) => AgentHostMessageSchema.parse(m).type)).toContain('reset'));
    agents.dispose(); store.dispose();
  });

  it('says which agent it cannot show when the state names none', async () => {
    const store = storeWith();
    const agents = new AgentPanels({ extensionUri: ext, store, relay: new TranscriptRelay(), isExecuting: () => false, log });
    const p = await restore(AGENT_VIEW_TYPE, saved({ runId }));
    expect(agents.open).toEqual([]);
    expect(p.webview.html).toContain(`This agent view of run ${runId} does not say which agent it showed.`);
    agents.dispose(); store.dispose();
  });
});

describe('a restored plan review', () => {
  const service: PlanService = {
    previewPlan: vi.fn(async () => ({ ok: false as const, errors: ['not previewed here'] })),
    revisePlan: vi.fn(async () => ({ ok: true as const })),
    approve: vi.fn(async () => undefined),
    decline: vi.fn(async () => undefined),
    isExecuting: vi.fn(() => false),
  };
  const models = () => ({ haiku: 'h', sonnet: 's', opus: 'o' });

  it('comes back with the run\'s plan, ready to review', async () => {
    const store = storeWith(snapshot({ status: 'awaiting-approval' }));
    const editors = new PlanEditors({ extensionUri: ext, store, service, log, models, previewDelayMs: 20 });
    const p = await restore(PLAN_VIEW_TYPE, saved({ runId }));
    expect(editors.openRuns).toEqual([runId]);
    await p.receive({ type: 'ready' });
    await vi.waitFor(() => expect(PlanHostMessageSchema.parse(p.posted.at(-1)).view?.runId).toBe(runId));
    editors.dispose(); store.dispose();
  });

  it('says there is no plan when the run is gone', async () => {
    const store = storeWith();
    const editors = new PlanEditors({ extensionUri: ext, store, service, log, models });
    const p = await restore(PLAN_VIEW_TYPE, saved({ runId: '20200101-000000-dead' }));
    expect(editors.openRuns).toEqual([]);
    expect(p.webview.html).toContain('Run 20200101-000000-dead is no longer in the workspace, or has no readable plan.json');
    editors.dispose(); store.dispose();
  });
});

describe('the saved state', () => {
  it('accepts a run and an agent id, and nothing else', () => {
    expect(restoredIdentity({ restore: { runId, agentId: 'coord-a' }, last: 'anything' })).toEqual({ ok: true, id: { runId, agentId: 'coord-a' } });
    expect(restoredIdentity({ restore: { runId: 42 } }).ok).toBe(false);
    expect(restoredIdentity('{"restore":{}}').ok).toBe(false);
  });

  it('rides on the page\'s body, escaped', () => {
    const html = webviewShell({ cspSource: 'c', nonce: 'n', scriptUri: 's', styleUri: 'st', title: 't', restore: { runId: '"><script>' } });
    expect(html).toContain('<body data-restore="{&quot;runId&quot;:&quot;\\&quot;>&lt;script>&quot;}">');
  });
});
