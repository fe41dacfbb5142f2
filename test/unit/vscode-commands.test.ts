import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { ApproveStageCommand, APPROVE_AND_CONTINUE, OPEN_STAGE_FILES } from '../../src/vscode/commands/approveStage';
import { Commands } from '../../src/vscode/commands/commands';
import { APPROVE_STAGE_COMMAND } from '../../src/vscode/runs/approvals';
import { RunLocation } from '../../src/vscode/location';
import { RunStore, type LiveRun } from '../../src/vscode/runs/runStore';
import { Notices } from '../../src/vscode/notices';
import { agent, fakeRun, snapshot, tempRunFolder } from './vscode/fixtures';
import { commands, memento, resetStub, Uri, window, workspace, type QuickPickStub } from './vscode-stub';

const { ws, runId, runDir } = tempRunFolder('orch-cmd-', '# a1\n<!-- DONE -->\n');
writeFileSync(path.join(runDir, 'ledger.json'), JSON.stringify(snapshot({ status: 'completed', workspace: ws })));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

const silent = { info() {}, warn() {}, error() {} };
const controller = { isActive: vi.fn(() => false), cancel: vi.fn(), resume: vi.fn(), orchestrate: vi.fn(), approve: vi.fn() };

function setup(state = memento()) {
  workspace.workspaceFolders = [{ uri: Uri.file(ws) }];
  const location = new RunLocation();
  const store = new RunStore(location, silent);
  const live = fakeRun(snapshot({ agents: [agent(), agent({ id: 'a3', status: 'pending', startedAt: null, outputFile: 'workers/a3.md' })] }), runDir);
  store.attach(live as unknown as LiveRun);
  const summary = { show: vi.fn() };
  const keys = { prompt: vi.fn(), clear: vi.fn() };
  const cmds = new Commands({ store, controller: controller as never, summary: summary as never, keys: keys as never, location, state: state, notices: new Notices() });
  return { store, cmds, summary, state, run: (id: string, ...args: unknown[]) => commands.registered.get(id)!(...args) };
}

beforeEach(() => { resetStub(); vi.clearAllMocks(); });

describe('commands', () => {
  it('opens a finished agent\'s file and explains a pending one instead', async () => {
    const { run, cmds, store } = setup();
    await run('orchestration.openAgentOutput', runId, 'a1');
    expect(window.showTextDocument).toHaveBeenCalledWith(expect.objectContaining({ fsPath: path.join(runDir, 'workers', 'a1.md') }), { preview: true });
    await run('orchestration.openAgentOutput', runId, 'a3');
    expect(window.showTextDocument).toHaveBeenCalledTimes(1);
    expect(window.showInformationMessage).toHaveBeenCalledWith('a3 is pending and has not started; its output will be workers/a3.md.');
    cmds.dispose(); store.dispose();
  });

  it('refuses an empty task in place and passes the folder as focus', async () => {
    const { run, cmds, store } = setup();
    window.showInputBox.mockImplementation(async (opts: unknown) => {
      const validate = (opts as { validateInput: (v: string) => string | undefined }).validateInput;
      expect(validate('   ')).toMatch(/cannot be empty/);
      expect(validate('Document src')).toBeUndefined();
      return 'Document src';
    });
    await run('orchestration.orchestrateTaskOnFolder', Uri.file(path.join(ws, 'src', 'lib')));
    expect(controller.orchestrate).toHaveBeenCalledWith('Document src', ['src/lib'], 'auto');
    cmds.dispose(); store.dispose();
  });

  it('from the palette, asks which folder: the workspace\'s folders two levels down, without hidden ones, node_modules or the runs', async () => {
    for (const d of ['src/server/routes/v1', 'docs', '.git/objects', 'node_modules/dep', '.claude/agents']) mkdirSync(path.join(ws, d), { recursive: true });
    const { run, cmds, store } = setup();
    window.showInputBox.mockResolvedValue('Document the server');
    let offered: string[] = [];
    window.showQuickPick.mockImplementationOnce(async (items: unknown) => {
      offered = (await (items as Promise<Array<{ label: string }>> | Array<{ label: string }>)).map((i) => i.label);
      return { label: 'src/server' };
    });
    await run('orchestration.orchestrateTaskOnFolder');
    expect(offered).toEqual(['docs', 'src', 'src/server']);
    expect(controller.orchestrate).toHaveBeenCalledWith('Document the server', ['src/server'], 'auto');
    // Dismissed: nothing is asked after it, and nothing runs.
    vi.clearAllMocks();
    window.showQuickPick.mockResolvedValueOnce(undefined);
    await run('orchestration.orchestrateTaskOnFolder');
    expect(window.showInputBox).not.toHaveBeenCalled();
    expect(controller.orchestrate).not.toHaveBeenCalled();
    cmds.dispose(); store.dispose();
  });

  it('asks for the pattern after the task, Auto first, and remembers the choice as the next default', async () => {
    const { run, cmds, store, state } = setup();
    window.showInputBox.mockResolvedValue('Document src step by step');
    const seen: QuickPickStub[] = [];
    window.quickPickAnswer = (qp) => {
      seen.push({ ...qp });
      return (qp.items as Array<{ choice: string }>).find((i) => i.choice === 'pipeline');
    };
    await run('orchestration.orchestrateTask');
    expect(controller.orchestrate).toHaveBeenLastCalledWith('Document src step by step', [], 'pipeline');
    const items = seen[0].items as Array<{ choice: string; label: string; detail?: string }>;
    expect(items[0]).toMatchObject({ choice: 'auto', label: 'Auto (recommended)' });
    expect(items.map((i) => i.choice)).toEqual(expect.arrayContaining(['fan-out', 'pipeline', 'map-reduce', 'supervisor']));
    expect(items.find((i) => i.choice === 'pipeline')?.detail).toMatch(/sequential steps/);
    expect((seen[0].activeItems[0] as { choice: string }).choice).toBe('auto');
    expect(state.update).toHaveBeenCalledWith('orchestration.lastPattern', 'pipeline');

    // Next time the remembered pattern is active (Enter takes it) while Auto stays first.
    window.quickPickAnswer = (qp) => { seen.push({ ...qp }); return qp.activeItems[0]; };
    await run('orchestration.orchestrateTask');
    expect((seen[1].items[0] as { choice: string }).choice).toBe('auto');
    expect((seen[1].activeItems[0] as { choice: string; description: string })).toMatchObject({ choice: 'pipeline', description: 'pipeline · last used' });
    expect(controller.orchestrate).toHaveBeenLastCalledWith('Document src step by step', [], 'pipeline');

    // Dismissing the pick plans nothing.
    controller.orchestrate.mockClear();
    window.quickPickAnswer = () => undefined;
    await run('orchestration.orchestrateTask');
    expect(controller.orchestrate).not.toHaveBeenCalled();
    cmds.dispose(); store.dispose();
  });

  it('Refresh reads the runs and the workflows and agent definitions again', async () => {
    workspace.workspaceFolders = [{ uri: Uri.file(ws) }];
    const location = new RunLocation();
    const store = new RunStore(location, silent);
    const refresh = vi.spyOn(store, 'refresh');
    const catalog = { load: vi.fn(async () => undefined) };
    const cmds = new Commands({ store, controller: controller as never, summary: {} as never, keys: {} as never, location, state: memento(), notices: new Notices(), catalog });
    await commands.registered.get('orchestration.refresh')!();
    expect(refresh).toHaveBeenCalled();
    expect(catalog.load).toHaveBeenCalledTimes(1);
    cmds.dispose(); store.dispose();
  });

  it('deletes a run only after a modal confirmation', async () => {
    const { run, cmds, store } = setup();
    store.detach(runId);
    await run('orchestration.deleteRun', { kind: 'run', runId });
    expect(window.showWarningMessage.mock.calls[0]?.[1]).toMatchObject({ modal: true });
    expect(store.get(runId)).toBeDefined();
    window.showWarningMessage.mockResolvedValueOnce('Delete');
    await run('orchestration.deleteRun', runId);
    expect(store.get(runId)).toBeUndefined();
    expect(existsSync(runDir)).toBe(false);
    cmds.dispose(); store.dispose();
  });

  it('routes tree nodes to the controller and the summary view', async () => {
    const { run, cmds, store, summary } = setup();
    await run('orchestration.resumeRun', { kind: 'run', runId });
    expect(controller.resume).toHaveBeenCalledWith(runId, 'resume');
    await run('orchestration.retryFailed', { kind: 'agent', runId, agentId: 'b1' });
    expect(controller.resume).toHaveBeenCalledWith(runId, 'retry-failed');
    await run('orchestration.showRun', runId);
    expect(summary.show).toHaveBeenCalledWith(runId);
    cmds.dispose(); store.dispose();
  });

  it('Open Run Summary opens summary.md when it exists, else shows the Summary view and says why', async () => {
    const { run, cmds, store, summary } = setup();
    await run('orchestration.openSummary', runId);
    expect(window.showTextDocument).not.toHaveBeenCalled();
    expect(summary.show).toHaveBeenCalledWith(runId);
    expect(window.showInformationMessage).toHaveBeenCalledWith(`Run ${runId} has no summary.md: the final synthesis has not written it (run running). The Summary view shows what the run has.`);
    mkdirSync(runDir, { recursive: true });
    writeFileSync(path.join(runDir, 'summary.md'), '# Summary\n');
    try {
      await run('orchestration.openSummary', { kind: 'run', runId });
      expect(window.showTextDocument).toHaveBeenCalledWith(expect.objectContaining({ fsPath: path.join(runDir, 'summary.md') }), { preview: true });
      expect(summary.show).toHaveBeenCalledTimes(1);
    } finally {
      rmSync(path.join(runDir, 'summary.md'));
    }
    cmds.dispose(); store.dispose();
  });

  it('says a declined plan\'s agents never ran instead of promising their files', async () => {
    const { run, cmds, store } = setup();
    store.attach(fakeRun(snapshot({ status: 'declined', agents: [agent({ id: 'a3', status: 'pending', startedAt: null, outputFile: 'workers/a3.md' })] }), runDir) as unknown as LiveRun);
    await run('orchestration.openAgentOutput', runId, 'a3');
    expect(window.showInformationMessage).toHaveBeenCalledWith('a3 never ran: the plan was declined.');
    await run('orchestration.openSummary', runId);
    expect(window.showInformationMessage).toHaveBeenLastCalledWith(expect.stringContaining('its plan was declined, so nothing ran'));
    cmds.dispose(); store.dispose();
  });
});

describe('Approve Stage (orchestration.approveStage)', () => {
  const gate = agent({ id: 'review-approval', role: 'gate', domain: 'review', status: 'completed', outputFile: 'gates/review-approval.md', returned: 'Waiting: waiting for approval of stage review: run `orchestrate approve r review`, then resume the run' });

  function approveSetup(status: 'partial' | 'running' = 'partial') {
    workspace.workspaceFolders = [{ uri: Uri.file(ws) }];
    // An earlier test deletes the run folder: the stage's file is written again here.
    mkdirSync(path.join(runDir, 'workers'), { recursive: true });
    writeFileSync(path.join(runDir, 'workers', 'a1.md'), '# a1\n<!-- DONE -->\n');
    const store = new RunStore(new RunLocation(), silent);
    store.attach(fakeRun(snapshot({ status, agents: [agent({ id: 'review-1', domain: 'review', outputFile: 'workers/a1.md' }), gate] }), runDir) as unknown as LiveRun);
    const approver = { isActive: vi.fn(() => false), approveStage: vi.fn(async () => undefined) };
    const cmd = new ApproveStageCommand({ store, controller: approver, notices: new Notices() });
    return { store, approver, dispose: () => { cmd.dispose(); store.dispose(); } };
  }

  it('from the palette picks the one waiting run, asks in a modal what to look at, and approves only on Approve and Continue', async () => {
    const { approver, dispose } = approveSetup();
    await commands.registered.get(APPROVE_STAGE_COMMAND)!();
    const [message, options, ...buttons] = window.showInformationMessage.mock.calls[0] as [string, { modal: boolean; detail: string }, ...string[]];
    expect(message).toMatch(/^Approve stage review of ".+"\?$/);
    expect(options.modal).toBe(true);
    // No message in the gate: the stage's output is what to look at; the stage's written file is offered.
    expect(options.detail).toMatch(/^Look at the output of stage review\.\n\nIts files: workers\/a1\.md\n\nApproving lets the stages after it run/);
    expect(buttons).toEqual([APPROVE_AND_CONTINUE, OPEN_STAGE_FILES]);
    // Cancel (the modal's own button) approves nothing.
    expect(approver.approveStage).not.toHaveBeenCalled();
    window.showInformationMessage.mockResolvedValueOnce(APPROVE_AND_CONTINUE);
    await commands.registered.get(APPROVE_STAGE_COMMAND)!({ kind: 'run', runId });
    expect(approver.approveStage).toHaveBeenCalledWith(runId, 'review');
    dispose();
  });

  it('says so instead of asking when no stage waits: a running run, or a stage that is not waiting', async () => {
    const running = approveSetup('running');
    await commands.registered.get(APPROVE_STAGE_COMMAND)!();
    expect(window.showInformationMessage).toHaveBeenCalledWith('No run is waiting for a stage approval.');
    running.dispose();
    const { approver, dispose } = approveSetup();
    await commands.registered.get(APPROVE_STAGE_COMMAND)!(runId, 'summary');
    expect(window.showInformationMessage).toHaveBeenLastCalledWith(`Stage summary of run ${runId} is not waiting for approval.`);
    expect(approver.approveStage).not.toHaveBeenCalled();
    dispose();
  });
});
