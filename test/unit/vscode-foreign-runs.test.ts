/**
 * The VS Code side of issue 16's items 5 and 6: a run folder not created on this machine is
 * marked in the tree and resumed or retried only after a modal warning naming the folder and
 * where it came from; a second owner's refusal names the process that owns the run.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
vi.mock('../../src/vscode/runs/session', () => ({ openSession: vi.fn() }));
import { CommandRefusedError, listRuns, type RunOutcome } from '../../src/engine';
import { markCreatedHere } from '../../src/engine/ledger/origin';
import { RunLocation } from '../../src/vscode/location';
import { RunController } from '../../src/vscode/runs/runController';
import { RunStore } from '../../src/vscode/runs/runStore';
import { openSession } from '../../src/vscode/runs/session';
import { runItem } from '../../src/vscode/tree/treeItems';
import { Notices } from '../../src/vscode/notices';
import { fakeRun, NOW, snapshot, tempRunFolder } from './vscode/fixtures';
import { resetStub, Uri, window, workspace } from './vscode-stub';

const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), event: vi.fn(), show: vi.fn() };
const outcome: RunOutcome = { status: 'completed', reason: null, gaps: [], summaryPath: null, totals: snapshot().totals };
let ws = '';
let runId = '';
let runDir = '';

/** A run folder on disk, interrupted, whose ledger says it was made in /home/eve/shop; a controller over it. */
function fixture() {
  ({ ws, runId, runDir } = tempRunFolder('orch-foreign-', 'partial'));
  writeFileSync(path.join(runDir, 'ledger.json'), JSON.stringify(snapshot({ status: 'running', pid: null, workspace: '/home/eve/shop' })));
  workspace.workspaceFolders = [{ uri: Uri.file(ws) }];
  const base = fakeRun(snapshot({ status: 'running', pid: null }), runDir);
  const run = { ...base, ledger: { ...base.ledger, agents: snapshot().agents, totals: snapshot().totals, flush: vi.fn(async () => undefined) }, cancel: vi.fn() };
  const provider = { model: {}, simulated: true, dispose: vi.fn(async () => undefined) };
  const orchestrator = {
    resume: vi.fn(async (_id: string, o: { onRun(r: unknown): void }) => { o.onRun(run); return outcome; }),
    approveGate: vi.fn(async () => 'approvals/review.json'),
  };
  vi.mocked(openSession).mockResolvedValue({ workspace: ws, provider, orchestrator, settings: { autoApprovePlan: false } } as never);
  const location = new RunLocation();
  const store = new RunStore(location, log);
  const controller = new RunController({ store, log, location, keys: {} as never, logger: log, promptsDir: '/p', notices: new Notices() });
  return { controller, orchestrator, provider, store };
}

beforeEach(() => { resetStub(); vi.clearAllMocks(); });
afterEach(() => { if (ws) rmSync(ws, { recursive: true, force: true }); ws = ''; });

describe('a run folder not created on this machine', () => {
  it('is resumed only after a modal warning naming its folder and where it came from; declining runs nothing', async () => {
    const { controller, orchestrator } = fixture();
    await controller.resume(runId, 'resume');
    const [message, options, action] = window.showWarningMessage.mock.calls[0] as [string, { modal: boolean; detail: string }, string];
    expect(options.modal).toBe(true);
    expect(message).toContain(`Run ${runId} in `);
    expect(message).toContain(path.join('.orchestration', runId));
    expect(message).toMatch(/was not created on this machine: it has no origin mark/);
    expect(message).toContain('its ledger says it was created in /home/eve/shop');
    expect(options.detail).toMatch(/on your API key and at your cost/);
    expect(action).toBe('Resume Anyway');
    expect(openSession).not.toHaveBeenCalled();
    expect(orchestrator.resume).not.toHaveBeenCalled();
  });

  it('runs with the engine told the user went on, when the user chooses Resume Anyway (or Retry Anyway)', async () => {
    const { controller, orchestrator } = fixture();
    window.showWarningMessage.mockResolvedValueOnce('Retry Anyway');
    await controller.resume(runId, 'retry-failed');
    expect(window.showWarningMessage.mock.calls[0]?.[2]).toBe('Retry Anyway');
    expect(orchestrator.resume).toHaveBeenCalledWith(runId, expect.objectContaining({ mode: 'retry-failed', allowForeign: true }));
    expect(window.showInformationMessage).toHaveBeenCalledWith(expect.stringMatching(/^Run ".+" completed/), 'Open Summary');
  });

  it('approves a waiting stage only after the same warning: declining writes no approval, going on approves, then resumes', async () => {
    const { controller, orchestrator } = fixture();
    await controller.approveStage(runId, 'review');
    expect(window.showWarningMessage.mock.calls[0]?.[1]).toMatchObject({ modal: true });
    expect(orchestrator.approveGate).not.toHaveBeenCalled();
    expect(orchestrator.resume).not.toHaveBeenCalled();

    window.showWarningMessage.mockResolvedValueOnce('Resume Anyway');
    await controller.approveStage(runId, 'review');
    expect(orchestrator.approveGate).toHaveBeenCalledWith(runId, 'review', expect.anything());
    expect(orchestrator.approveGate.mock.invocationCallOrder[0]).toBeLessThan(orchestrator.resume.mock.invocationCallOrder[0]);
    expect(orchestrator.resume).toHaveBeenCalledWith(runId, expect.objectContaining({ mode: 'resume', allowForeign: true }));
  });

  it('refuses a stage the engine will not approve, and runs nothing', async () => {
    const { controller, orchestrator, provider } = fixture();
    window.showWarningMessage.mockResolvedValueOnce('Resume Anyway');
    orchestrator.approveGate.mockRejectedValueOnce(new Error('Stage "x" has no approval gate; the stages that have one: review'));
    await controller.approveStage(runId, 'x');
    expect(window.showErrorMessage).toHaveBeenCalledWith(`Could not approve stage x of run ${runId}: Stage "x" has no approval gate; the stages that have one: review`);
    expect(orchestrator.resume).not.toHaveBeenCalled();
    expect(provider.dispose).toHaveBeenCalled();
  });

  it('waiting for approval is approved only after the same warning', async () => {
    const { controller } = fixture();
    writeFileSync(path.join(runDir, 'ledger.json'), JSON.stringify(snapshot({ status: 'awaiting-approval', pid: null })));
    await controller.approve(runId);
    const [message, options, action] = window.showWarningMessage.mock.calls[0] as [string, { modal: boolean }, string];
    expect(options.modal).toBe(true);
    expect(message).toMatch(/was not created on this machine/);
    expect(action).toBe('Approve Anyway');
    expect(openSession).not.toHaveBeenCalled();
  });

  it('is marked in the tree, and a run made here is not', async () => {
    fixture();
    const [foreign] = await listRuns(ws, '.orchestration');
    const item = runItem(foreign, NOW);
    expect(String(item.description)).toContain('not created here');
    expect((item.tooltip as { value: string }).value).toMatch(/Not created on this machine/);
    expect(item.contextValue).toBe('run.interrupted');

    await markCreatedHere({ dir: runDir, runId, workspace: ws });
    const [local] = await listRuns(ws, '.orchestration');
    expect(local.origin).toEqual({ local: true });
    expect(String(runItem(local, NOW).description)).not.toContain('not created here');
  });

  it('marks a run an agent started over MCP in its row and tooltip, read back from ledger.json', async () => {
    fixture();
    await markCreatedHere({ dir: runDir, runId, workspace: ws });
    const [plain] = await listRuns(ws, '.orchestration');
    expect(String(runItem(plain, NOW).description)).not.toContain('via');
    const file = path.join(runDir, 'ledger.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), startedBy: 'mcp:claude-code' }));
    const [viaMcp] = await listRuns(ws, '.orchestration');
    const item = runItem(viaMcp, NOW);
    expect(String(item.description)).toContain('via claude-code (MCP)');
    expect((item.tooltip as { value: string }).value.replace(/\\/g, '')).toMatch(/Started .* via claude-code \(MCP\)/);
  });
});

describe('a run created on this machine', () => {
  it('resumes without a warning', async () => {
    const { controller, orchestrator } = fixture();
    await markCreatedHere({ dir: runDir, runId, workspace: ws });
    await controller.resume(runId, 'resume');
    expect(window.showWarningMessage).not.toHaveBeenCalled();
    expect(orchestrator.resume).toHaveBeenCalledWith(runId, expect.objectContaining({ mode: 'resume', allowForeign: false }));
  });

  it('owned by another process is refused with a message naming that process, and the provider is closed', async () => {
    const { controller, orchestrator, provider } = fixture();
    await markCreatedHere({ dir: runDir, runId, workspace: ws });
    orchestrator.resume.mockRejectedValueOnce(new CommandRefusedError(`Run ${runId} is busy with another command (resume) in process 4242, since 2026-01-01T00:00:00.000Z`));
    await controller.resume(runId, 'resume');
    expect(window.showWarningMessage).toHaveBeenCalledWith(expect.stringContaining('busy with another command (resume) in process 4242'));
    expect(controller.isActive(runId)).toBe(false);
    expect(provider.dispose).toHaveBeenCalled();
  });
});
