import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
vi.mock('../../src/vscode/runs/session', () => ({ openSession: vi.fn() }));
import { ConfigError, PlanError, type LedgerSnapshot, type RunOutcome } from '../../src/engine';
import { RunLocation } from '../../src/vscode/location';
import { RunController } from '../../src/vscode/runs/runController';
import { RunStore } from '../../src/vscode/runs/runStore';
import { openSession } from '../../src/vscode/runs/session';
import { Notices } from '../../src/vscode/notices';
import { fakeRun, snapshot, tempRunFolder } from './vscode/fixtures';
import { ProgressLocation, resetStub, Uri, window, workspace } from './vscode-stub';

const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), event: vi.fn(), show: vi.fn() };
const outcome = (status: RunOutcome['status']): RunOutcome => ({ status, reason: null, gaps: [], summaryPath: null, totals: snapshot().totals });

function fixture(opts: { autoApprovePlan?: boolean; plan?: () => Promise<unknown>; workspaceCommand?: { command: string; source: string }; consented?: boolean } = {}) {
  const base = fakeRun(snapshot({ status: 'awaiting-approval' }));
  const run = {
    ...base,
    pattern: { name: 'build', runsVerifyCommand: true },
    ledger: { ...base.ledger, agents: snapshot().agents, totals: snapshot().totals, setRunStatus: vi.fn(), flush: vi.fn(async () => undefined) },
    execute: vi.fn(async (_o: unknown) => outcome('completed')),
    cancel: vi.fn(),
  };
  const provider = { model: {}, simulated: true, dispose: vi.fn(async () => undefined) };
  const consent = { has: vi.fn(async () => !!opts.consented), grant: vi.fn(async () => undefined) };
  const orchestrator = {
    plan: vi.fn(opts.plan ?? (async () => run)), open: vi.fn(async () => run), workspaceCommand: opts.workspaceCommand ?? null, consent,
    planWorkflow: vi.fn(opts.plan ?? (async () => run)),
    // As the engine's: hands the Run over, then executes it in the mode asked for.
    resume: vi.fn(async (_id: string, o: { mode: 'resume' | 'retry-failed'; onRun(r: unknown): void }) => { o.onRun(run); return run.execute({ mode: o.mode }); }),
  };
  vi.mocked(openSession).mockResolvedValue({ workspace: '/ws', provider, orchestrator, settings: { autoApprovePlan: !!opts.autoApprovePlan } } as never);
  const store = new RunStore(new RunLocation(), log);
  const controller = new RunController({ store, log, location: new RunLocation(), keys: {} as never, logger: log, promptsDir: '/p', notices: new Notices() });
  return { run, provider, orchestrator, store, controller, consent };
}

beforeEach(() => { resetStub(); vi.clearAllMocks(); });

describe('RunController', () => {
  it('plans under a progress notification, shows the plan, and waits for approval', async () => {
    const { controller, run, store, orchestrator } = fixture();
    const planned = vi.fn();
    controller.onDidPlan(planned);
    await controller.orchestrate('Audit this repo', ['src']);
    expect(orchestrator.plan).toHaveBeenCalledWith(expect.objectContaining({ task: 'Audit this repo', focus: ['src'], pattern: 'auto' }));
    expect(planned).toHaveBeenCalledWith(run.id);
    await controller.orchestrate('Document src step by step', [], 'pipeline');
    expect(orchestrator.plan).toHaveBeenLastCalledWith(expect.objectContaining({ pattern: 'pipeline' }));
    expect(store.isLive(run.id)).toBe(true);
    expect(run.execute).not.toHaveBeenCalled();
    expect(controller.isActive(run.id)).toBe(true);
  });

  it('runs an approved plan, then releases the provider and reports the outcome', async () => {
    const { controller, run, provider, store } = fixture();
    await controller.orchestrate('Audit this repo');
    await controller.approve(run.id);
    expect(run.execute).toHaveBeenCalledWith({ mode: 'fresh' });
    expect(provider.dispose).toHaveBeenCalled();
    expect(store.isLive(run.id)).toBe(false);
    expect(controller.isActive(run.id)).toBe(false);
    expect(window.showInformationMessage).toHaveBeenCalledWith('Run "Audit this repo for security issues" completed (simulated, would cost $0.42).', 'Open Summary');
    // Its progress went to the status bar, never into a toast.
    expect(window.withProgress).toHaveBeenCalledWith(expect.objectContaining({ location: ProgressLocation.Window }), expect.any(Function));
  });

  it('reports a real run\'s cost as spent', async () => {
    const { controller, run, provider } = fixture();
    provider.simulated = false;
    await controller.orchestrate('Audit this repo');
    await controller.approve(run.id);
    expect(window.showInformationMessage).toHaveBeenCalledWith('Run "Audit this repo for security issues" completed ($0.42).', 'Open Summary');
  });

  describe('a plan that runs the repository\'s own command', () => {
    const workspaceCommand = { command: 'npm test', source: '.orchestration/config.json' };

    it('asks in a modal naming the command and where it came from; declining runs nothing', async () => {
      const { controller, run, consent } = fixture({ workspaceCommand });
      await controller.orchestrate('Add input validation');
      await controller.approve(run.id);
      expect(window.showWarningMessage).toHaveBeenCalledWith(
        expect.stringMatching(/runs `npm test` in each builder's worktree.*\.orchestration\/config\.json/),
        expect.objectContaining({ modal: true }), 'Run the Command',
      );
      expect(run.execute).not.toHaveBeenCalled();
      expect(consent.grant).not.toHaveBeenCalled();
      expect(controller.isActive(run.id)).toBe(true); // still awaiting approval
    });

    it('remembers a yes for that command and runs the plan', async () => {
      const { controller, run, consent } = fixture({ workspaceCommand });
      vi.mocked(window.showWarningMessage).mockResolvedValueOnce('Run the Command');
      await controller.orchestrate('Add input validation');
      await controller.approve(run.id);
      expect(consent.grant).toHaveBeenCalledWith('/ws', 'npm test');
      expect(run.execute).toHaveBeenCalledWith({ mode: 'fresh' });
    });

    it('does not ask again once consent is remembered, even when approved unseen', async () => {
      const { controller, run } = fixture({ workspaceCommand, consented: true, autoApprovePlan: true });
      await controller.orchestrate('Add input validation');
      expect(window.showWarningMessage).not.toHaveBeenCalled();
      expect(run.execute).toHaveBeenCalledTimes(1);
    });

    it('asks before resuming a build too', async () => {
      const { controller, run, store } = fixture({ workspaceCommand });
      vi.spyOn(store, 'get').mockReturnValue({ ...snapshot({ status: 'interrupted' }), pattern: 'build' });
      await controller.resume(run.id);
      expect(window.showWarningMessage).toHaveBeenCalledWith(expect.stringMatching(/npm test/), expect.objectContaining({ modal: true }), 'Run the Command');
      expect(run.execute).not.toHaveBeenCalled();
      expect(controller.isActive(run.id)).toBe(false);
    });
  });

  it('runs at once with autoApprovePlan', async () => {
    const { controller, run } = fixture({ autoApprovePlan: true });
    await controller.orchestrate('Audit this repo');
    expect(run.execute).toHaveBeenCalledTimes(1);
  });

  it('records a plan cancelled before approval as declined, and nothing runs', async () => {
    const { controller, run, provider } = fixture();
    await controller.orchestrate('Audit this repo');
    await controller.cancel(run.id);
    expect(run.ledger.setRunStatus).toHaveBeenCalledWith('declined', expect.stringMatching(/declined/));
    expect(run.execute).not.toHaveBeenCalled();
    expect(provider.dispose).toHaveBeenCalled();
  });

  it('declines a plan left awaiting approval by an earlier window, on disk and without a model provider', async () => {
    const { ws, runId, runDir } = tempRunFolder('orch-decline-', '');
    try {
      writeFileSync(path.join(runDir, 'ledger.json'), JSON.stringify(snapshot({ status: 'awaiting-approval', workspace: ws, pid: null })));
      workspace.workspaceFolders = [{ uri: Uri.file(ws) }];
      const { controller, store } = fixture();
      await store.refresh();
      await controller.decline(runId);
      expect(openSession).not.toHaveBeenCalled();
      expect((JSON.parse(readFileSync(path.join(runDir, 'ledger.json'), 'utf8')) as LedgerSnapshot).status).toBe('declined');
      expect(store.get(runId)?.status).toBe('declined');
      await controller.resume(runId, 'resume');
      expect(openSession).not.toHaveBeenCalled();
      expect(window.showInformationMessage).toHaveBeenCalledWith(expect.stringMatching(/was declined at approval, so there is nothing to resume/));
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });

  it('cancels a running run through the engine', async () => {
    const { controller, run } = fixture();
    let finish!: (o: RunOutcome) => void;
    run.execute.mockImplementationOnce(() => new Promise((r) => { finish = r; }));
    await controller.orchestrate('Audit this repo');
    const executing = controller.approve(run.id);
    await vi.waitFor(() => expect(controller.isExecuting(run.id)).toBe(true));
    await controller.cancel(run.id);
    expect(run.cancel).toHaveBeenCalled();
    finish(outcome('cancelled'));
    await executing;
    expect(window.showInformationMessage).toHaveBeenCalledWith(expect.stringMatching(/^Run ".+" cancelled; files already written are kept/), 'Resume Run');
  });

  it('resumes and retries runs from disk with the right mode', async () => {
    const { controller, run, orchestrator } = fixture();
    await controller.resume(run.id, 'resume');
    expect(orchestrator.resume).toHaveBeenCalledWith(run.id, expect.objectContaining({ mode: 'resume', allowForeign: false }));
    expect(run.execute).toHaveBeenLastCalledWith({ mode: 'resume' });
    await controller.resume(run.id, 'retry-failed');
    expect(run.execute).toHaveBeenLastCalledWith({ mode: 'retry-failed' });
  });

  it('lists every plan error in the log and the first ones in the message', async () => {
    const { controller, provider } = fixture({ plan: async () => { throw new PlanError('bad plan', ['Plan has 7 domains; at most 5 are allowed', 'Worker "a1" has scope "x", which does not exist']); } });
    await controller.orchestrate('Audit this repo');
    expect(String(window.showErrorMessage.mock.calls[0]?.[0])).toContain('Plan has 7 domains; at most 5 are allowed');
    expect(log.error).toHaveBeenCalledWith(expect.stringContaining('which does not exist'));
    expect(provider.dispose).toHaveBeenCalled();
  });

  it('refuses to run anything in Restricted Mode', async () => {
    workspace.isTrusted = false;
    const { controller } = fixture();
    await controller.orchestrate('Audit this repo');
    await controller.orchestrateWorkflow({ workflow: 'review-api', params: {} });
    await controller.approve('20250601-115500-ab12');
    expect(openSession).not.toHaveBeenCalled();
  });

  describe('a workflow', () => {
    it('is planned without the planner and shown for approval like a task, then runs when approved', async () => {
      const { controller, run, orchestrator, store } = fixture();
      const planned = vi.fn();
      controller.onDidPlan(planned);
      await controller.orchestrateWorkflow({ workflow: 'review-api', params: { concern: 'error handling' } });
      expect(orchestrator.plan).not.toHaveBeenCalled();
      expect(orchestrator.planWorkflow).toHaveBeenCalledWith(expect.objectContaining({ workflow: 'review-api', params: { concern: 'error handling' } }));
      expect((orchestrator.planWorkflow.mock.calls[0] as unknown as [{ signal: unknown }])[0].signal).toBeInstanceOf(AbortSignal);
      expect(window.withProgress).toHaveBeenCalledWith(expect.objectContaining({ title: 'Planning workflow review-api', cancellable: true }), expect.any(Function));
      expect(planned).toHaveBeenCalledWith(run.id);
      expect(store.isLive(run.id)).toBe(true);
      expect(run.execute).not.toHaveBeenCalled();
      await controller.approve(run.id);
      expect(run.execute).toHaveBeenCalledWith({ mode: 'fresh' });
    });

    it('reports a parameter or file problem as Orchestrate Task reports a plan problem, and keeps no session', async () => {
      const { controller, provider } = fixture({ plan: async () => { throw new ConfigError('workflow review-api needs parameter "audience" (Who reads it); expected a value, found none and no default'); } });
      await controller.orchestrateWorkflow({ workflow: 'review-api', params: {} });
      expect(window.showErrorMessage).toHaveBeenCalledWith('workflow review-api needs parameter "audience" (Who reads it); expected a value, found none and no default');
      expect(provider.dispose).toHaveBeenCalled();
    });
  });
});
