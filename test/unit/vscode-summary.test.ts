import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { RunLocation } from '../../src/vscode/location';
import { RunStore, type LiveRun } from '../../src/vscode/runs/runStore';
import { PlanEditors, type PlanService } from '../../src/vscode/panels/plan/planEditorView';
import { SummaryView, type SummaryExtras } from '../../src/vscode/panels/summary/summaryView';
import { buildLedger, doneThrough, finding, integrationFile, tallyFile } from './vscode/buildFixtures';
import { agent, fakeRun, snapshot, tempRunFolder } from './vscode/fixtures';
import { commands, EventEmitter, resetStub, Uri, window, workspace } from './vscode-stub';
import type { RunView } from '../../src/shared/protocol';

const { ws, runId, runDir } = tempRunFolder('orch-sum-', '# a1\n');
writeFileSync(path.join(ws, 'secret.txt'), 'x');
afterAll(() => rmSync(ws, { recursive: true, force: true }));

const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), event: vi.fn(), show: vi.fn() };
const controller = { approve: vi.fn(), decline: vi.fn(), cancel: vi.fn(), resume: vi.fn(), isExecuting: vi.fn(() => true), onDidPlan: new EventEmitter<string>().event };

function setup(s = snapshot(), extras: (store: RunStore) => SummaryExtras = () => ({})) {
  workspace.workspaceFolders = [{ uri: Uri.file(ws) }];
  const store = new RunStore(new RunLocation(), log);
  store.attach(fakeRun(s, runDir) as unknown as LiveRun);
  const view = new SummaryView(Uri.file('/ext') as never, store, controller as never, log as never, extras(store));
  const received = new EventEmitter<unknown>();
  const posted: unknown[] = [];
  const webview = {
    options: {} as { enableScripts?: boolean; localResourceRoots?: Uri[] }, html: '', cspSource: 'vscode-resource:',
    asWebviewUri: (u: Uri) => u, onDidReceiveMessage: received.event, postMessage: vi.fn(async (m: unknown) => { posted.push(m); return true; }),
  };
  view.resolveWebviewView({ webview, onDidDispose: new EventEmitter<void>().event } as never);
  const send = async (m: unknown) => { received.fire(m); await new Promise((r) => setTimeout(r, 20)); };
  return { store, view, webview, posted, send };
}

beforeEach(() => { resetStub(); vi.clearAllMocks(); controller.isExecuting.mockReturnValue(true); });

describe('SummaryView', () => {
  it('limits resources to dist and media and renders a CSP page with a nonce', () => {
    const { webview, view, store } = setup();
    expect(webview.options.enableScripts).toBe(true);
    expect(webview.options.localResourceRoots?.map((u) => u.fsPath)).toEqual(['/ext/dist', '/ext/media']);
    expect(webview.html).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]{24}'/);
    // Its own stylesheet, then the one it shares with the editor panels (pipeline status, batch tag).
    expect([...webview.html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1].split('/').pop())).toEqual(['summary.css', 'common.css']);
    view.dispose(); view.dispose(); store.dispose();
  });

  it('posts nothing before ready, then the validated state of the run', async () => {
    const { posted, send, view, store } = setup();
    await view.show(runId);
    expect(posted).toEqual([]);
    await send({ type: 'ready' });
    await vi.waitFor(() => expect(posted).toHaveLength(1));
    expect(posted[0]).toMatchObject({ type: 'state', run: { runId, status: 'running', actions: { cancel: true } } });
    view.dispose(); store.dispose();
  });

  it('tells the Ledger which run it was asked to show, but not a run the Ledger selected', async () => {
    const { view, store } = setup();
    const shown: string[] = [];
    view.onDidShowRun((id) => shown.push(id));
    view.select('other-run');
    await view.show(runId);
    await view.show();
    expect(shown).toEqual([runId]);
    view.dispose(); store.dispose();
  });

  it('routes approve/cancel to the controller and drops invalid messages with a log line', async () => {
    const { send, view, store } = setup();
    await send({ type: 'approve', runId });
    await send({ type: 'decline', runId });
    await send({ type: 'cancel', runId });
    await send({ type: 'approve', runId: '../x' });
    await send({ type: 'eval', code: '1' });
    expect(controller.approve).toHaveBeenCalledTimes(1);
    expect(controller.decline).toHaveBeenCalledWith(runId);
    expect(controller.cancel).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenCalledTimes(2);
    view.dispose(); store.dispose();
  });

  it('says which stage waits for approval, offers Approve Stage, and hands its click to the Approve Stage command', async () => {
    controller.isExecuting.mockReturnValue(false);
    const gate = agent({ id: 'review-approval', role: 'gate', domain: 'review', status: 'completed', outputFile: 'gates/review-approval.md', returned: 'Waiting: waiting for approval of stage review: run `orchestrate approve r review`, then resume the run' });
    const { posted, send, view, store } = setup(snapshot({ status: 'partial', agents: [...snapshot().agents, gate] }));
    await view.show(runId);
    await send({ type: 'ready' });
    await vi.waitFor(() => expect(posted).toHaveLength(1));
    const run = (posted[0] as { run: RunView }).run;
    expect(run.actions.approveStage).toBe(true);
    expect(run.approvals).toEqual([{ stage: 'review', message: null }]);
    await send({ type: 'approveStage', runId, stage: 'review' });
    expect(commands.executeCommand).toHaveBeenCalledWith('orchestration.approveStage', runId, 'review');
    view.dispose(); store.dispose();
  });

  it('follows the selected run without taking focus', async () => {
    const { posted, send, view, store } = setup();
    const other = snapshot({ runId: '20250601-120000-cd34', task: 'Document every module' });
    store.attach(fakeRun(other, path.join(ws, '.orchestration', other.runId)) as unknown as LiveRun);
    await send({ type: 'ready' });
    await vi.waitFor(() => expect(posted.at(-1)).toMatchObject({ run: { runId: other.runId } }));
    view.select(runId);
    await vi.waitFor(() => expect(posted.at(-1)).toMatchObject({ run: { runId, task: 'Audit this repo for security issues' } }));
    view.select(other.runId);
    await vi.waitFor(() => expect(posted.at(-1)).toMatchObject({ run: { runId: other.runId, task: 'Document every module' } }));
    expect(commands.executeCommand).not.toHaveBeenCalled();
    view.dispose(); store.dispose();
  });

  it('shows the run selected last even when the state of the one before is slower to read', async () => {
    const { posted, send, view, store } = setup();
    const other = snapshot({ runId: '20250601-120000-cd34', task: 'Document every module' });
    store.attach(fakeRun(other, path.join(ws, '.orchestration', other.runId)) as unknown as LiveRun);
    await send({ type: 'ready' });
    await vi.waitFor(() => expect(posted.at(-1)).toMatchObject({ run: { runId: other.runId } }));
    const plan = store.plan.bind(store);
    let slow!: () => void;
    const held = new Promise<void>((r) => { slow = r; });
    vi.spyOn(store, 'plan').mockImplementation(async (id: string) => { if (id === runId) await held; return plan(id); });
    const before = posted.length;
    view.select(runId);
    view.select(other.runId);
    await vi.waitFor(() => { expect(posted.length).toBeGreaterThan(before); expect(posted.at(-1)).toMatchObject({ run: { runId: other.runId } }); });
    const count = posted.length;
    slow();
    await new Promise((r) => setTimeout(r, 50));
    expect(posted.slice(count)).toEqual([]);
    expect(posted.at(-1)).toMatchObject({ run: { runId: other.runId } });
    view.dispose(); store.dispose();
  });

  it('links only files that exist: a1 was written, the pending coordinator and summary.md were not', async () => {
    const { posted, send, view, store } = setup();
    await send({ type: 'ready' });
    await vi.waitFor(() => expect(posted).toHaveLength(1));
    const run = (posted[0] as { run: RunView }).run;
    const [a] = run.groups;
    expect(a.agents.map((w) => [w.id, w.written])).toEqual([['a1', true], ['a2', false]]);
    expect(a.coordinator).toMatchObject({ id: 'coord-a', written: false });
    expect(run.final).toMatchObject({ outputFile: 'summary.md', written: false });
    view.dispose(); store.dispose();
  });

  it('opens files inside the run and refuses paths that leave it', async () => {
    const { send, view, store } = setup();
    await send({ type: 'openFile', runId, path: 'workers/a1.md' });
    expect(window.showTextDocument).toHaveBeenCalledWith(expect.objectContaining({ fsPath: path.join(runDir, 'workers', 'a1.md') }), { preview: true });
    await send({ type: 'openFile', runId, path: '../../secret.txt' });
    expect(window.showTextDocument).toHaveBeenCalledTimes(1);
    expect(String(window.showWarningMessage.mock.calls[0]?.[0])).toMatch(/Refused to open/);
    view.dispose(); store.dispose();
  });

  it('offers one Approve per draft: while the plan editor holds edits, the Summary points to it instead of approving the planned plan', async () => {
    controller.isExecuting.mockReturnValue(false);
    const svc: PlanService = {
      previewPlan: vi.fn(async () => ({ ok: true as const, estimate: { tokensLow: 1, tokensHigh: 2, costLowUsd: 0, costHighUsd: 0 }, agents: [] })),
      revisePlan: vi.fn(async () => ({ ok: true as const })), approve: vi.fn(async () => undefined), decline: vi.fn(async () => undefined), isExecuting: () => false,
    };
    let editors!: PlanEditors;
    const { store, view, posted, send } = setup(snapshot({ status: 'awaiting-approval' }), (st) => {
      editors = new PlanEditors({ extensionUri: Uri.file('/ext') as never, store: st, service: svc, log, models: () => ({ haiku: 'h', sonnet: 's', opus: 'o' }), previewDelayMs: 5 });
      return { drafts: editors };
    });
    const actions = () => (posted.at(-1) as { run: RunView }).run.actions;
    await send({ type: 'ready' });
    await vi.waitFor(() => expect(actions()).toMatchObject({ approve: true, reviewDraft: false }));

    await editors.show(runId);
    const panel = window.panels.at(-1)!;
    await panel.receive({ type: 'ready' });
    await panel.receive({ type: 'edit', edit: { kind: 'tier', agentId: 'a1', tier: 'opus' } });
    expect(editors.edited(runId)).toBe(true);
    await vi.waitFor(() => expect(actions()).toMatchObject({ approve: false, reviewDraft: true, decline: true }));

    // A click on a stale Approve (the state raced it) brings the editor forward and approves nothing.
    await send({ type: 'approve', runId });
    expect(controller.approve).not.toHaveBeenCalled();
    expect(panel.reveal).toHaveBeenCalled();
    await send({ type: 'reviewPlan', runId });
    expect(panel.reveal).toHaveBeenCalledTimes(2);

    // Undoing the edits makes the planned plan the draft again: the sidebar's Approve is back.
    await panel.receive({ type: 'reset' });
    await vi.waitFor(() => expect(actions()).toMatchObject({ approve: true, reviewDraft: false }));
    await send({ type: 'approve', runId });
    expect(controller.approve).toHaveBeenCalledWith(runId);
    editors.dispose(); view.dispose(); store.dispose();
  });

  it('shows a build run\'s proposed change and routes Apply, Discard, Ship to Branch and a file\'s diff to the Changes commands', async () => {
    controller.isExecuting.mockReturnValue(false);
    const s = snapshot({ status: 'completed', pattern: 'build', agents: [agent({ id: 'assemble', role: 'final', domain: null, status: 'completed', outputFile: 'summary.md' })] });
    const cs = {
      version: 1 as const, base: 'abc', ref: 'def', state: 'proposed' as const, perAgent: {}, conflicts: [], updatedAt: '',
      files: [{ path: 'src/a.ts', status: 'modified' as const, added: 3, removed: 1, binary: false }, { path: 'README.md', status: 'added' as const, added: 1, removed: 0, binary: false }],
    };
    const changes = { peek: vi.fn(() => cs), onDidChange: new EventEmitter<string>().event };
    const { view, store, posted, send } = setup(s, () => ({ changes, changeCommands: { apply: 'x.apply', discard: 'x.discard', openDiff: 'x.diff', ship: 'x.ship' } }));
    await send({ type: 'ready' });
    await vi.waitFor(() => expect(posted).toHaveLength(1));
    const run = (posted[0] as { run: RunView }).run;
    expect(run.changes).toMatchObject({ state: 'proposed', fileCount: 2, added: 4, removed: 1, canAct: true });
    // The assembly is the engine's step: no model is named for it.
    expect(run.final).toMatchObject({ id: 'assemble', byEngine: true });
    await send({ type: 'applyChanges', runId });
    await send({ type: 'discardChanges', runId });
    await send({ type: 'openDiff', runId, path: 'src/a.ts' });
    await send({ type: 'shipToBranch', runId });
    expect(commands.executeCommand.mock.calls).toEqual([['x.apply', runId], ['x.discard', runId], ['x.diff', runId, 'src/a.ts'], ['x.ship', runId]]);
    view.dispose(); store.dispose();
  });
  it('shows a build\'s integration check and hardening tally from integration.json and harden/tally.json, linking the log once it exists', async () => {
    controller.isExecuting.mockReturnValue(false);
    const files = ['integration.json', 'harden', 'checks'].map((f) => path.join(runDir, f));
    mkdirSync(path.join(runDir, 'harden'), { recursive: true });
    mkdirSync(path.join(runDir, 'checks'), { recursive: true });
    writeFileSync(path.join(runDir, 'integration.json'), JSON.stringify(integrationFile('failed', 2)));
    writeFileSync(path.join(runDir, 'harden', 'tally.json'), JSON.stringify(tallyFile([finding()])));
    writeFileSync(path.join(runDir, 'checks', 'integration-1.log'), 'FAIL src/b1.test.ts\n');
    try {
      const { view, store, posted, send } = setup(buildLedger(doneThrough('assemble'), { status: 'partial' }));
      await send({ type: 'ready' });
      await vi.waitFor(() => expect(posted).toHaveLength(1));
      const run = (posted[0] as { run: RunView }).run;
      expect(run.pipeline?.integration).toMatchObject({ state: 'failed', rounds: 2, log: 'checks/integration-1.log' });
      expect(run.pipeline?.harden).toMatchObject({ state: 'done', critical: 1, findings: [{ id: 'h-security-1', severity: 'critical' }] });
      expect(run.pipeline?.ship).toMatchObject({ state: 'refused', blockers: ['1 critical finding (in b2\'s files)', 'the integration check failed on the assembled change'] });
      await send({ type: 'openFile', runId, path: 'checks/integration-1.log' });
      expect(window.showTextDocument).toHaveBeenCalledTimes(1);
      // A torn tally counts as missing, never as a pass: the hardeners' records say it ran, nothing more.
      writeFileSync(path.join(runDir, 'harden', 'tally.json'), '{"enabled": true, "critical": ');
      await view.show(runId);
      await vi.waitFor(() => expect((posted.at(-1) as { run: RunView }).run.pipeline?.harden).toMatchObject({ state: 'waiting', critical: 0 }));
      view.dispose(); store.dispose();
    } finally {
      for (const f of files) rmSync(f, { recursive: true, force: true });
    }
  });
});

