/** The agent, group and run commands: targets from the tree or a panel, their questions, refusals, and the controller behind them. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { CommandRefusedError, ConfigError, type RunOutcome } from '../../src/engine';
import { AgentCommands, type AgentService } from '../../src/vscode/commands/agentCommands';
import { AgentController } from '../../src/vscode/runs/agentController';
import { RunLocation } from '../../src/vscode/location';
import { RunStore, type LiveRun } from '../../src/vscode/runs/runStore';
import { TranscriptRelay } from '../../src/vscode/runs/transcriptRelay';
import { agentItem, groupItem, runItem } from '../../src/vscode/tree/treeItems';
import { Notices } from '../../src/vscode/notices';
import { AGENT_STATUSES, RUN_STATUSES } from '../../src/engine';
import { agent, fakeRun, NOW, snapshot } from './vscode/fixtures';
import { commands, ProgressLocation, resetStub, window } from './vscode-stub';

const silent = { info() {}, warn() {}, error() {} };
const RUN = snapshot().runId;

function setup(s = snapshot({ status: 'completed' }), active = false) {
  const store = new RunStore(new RunLocation(), silent);
  store.attach(fakeRun(s) as unknown as LiveRun);
  const service = {
    isActive: vi.fn(() => active), stopAgent: vi.fn(async () => undefined), rerunAgent: vi.fn(async () => undefined),
    askAgent: vi.fn(async () => '/ws/.orchestration/r/asks/a1-1.md'), addWorker: vi.fn(async () => undefined),
  } satisfies AgentService;
  const deps = { store, service, showAgent: vi.fn(), showDashboard: vi.fn(), reviewPlan: vi.fn() };
  const cmds = new AgentCommands(deps);
  const run = (id: string, ...args: unknown[]) => commands.registered.get(id)!(...args);
  return { ...deps, cmds, run, dispose: () => { cmds.dispose(); store.dispose(); } };
}

beforeEach(() => { resetStub(); vi.clearAllMocks(); });

describe('agent commands', () => {
  it('Show Agent opens the agent view from a tree node or from ids', async () => {
    const x = setup();
    await x.run('orchestration.showAgent', { kind: 'agent', runId: RUN, agentId: 'a1' });
    await x.run('orchestration.showAgent', RUN, 'b1');
    expect(x.showAgent.mock.calls).toEqual([[RUN, 'a1'], [RUN, 'b1']]);
    await x.run('orchestration.showAgent', RUN, 'ghost');
    expect(window.showWarningMessage).toHaveBeenCalledWith(`Run ${RUN} has no agent ghost.`);
    x.dispose();
  });

  it('Show Agent from the palette picks the run and then the agent', async () => {
    const x = setup();
    window.showQuickPick.mockImplementationOnce(async (items: unknown) => (items as Array<{ id: string }>).find((i) => i.id === 'a2'));
    await x.run('orchestration.showAgent');
    expect(x.showAgent).toHaveBeenCalledWith(RUN, 'a2');
    x.dispose();
  });

  it('Stop Agent stops a running agent and explains why a finished one is not stopped', async () => {
    const x = setup(snapshot());
    await x.run('orchestration.stopAgent', { kind: 'agent', runId: RUN, agentId: 'a2' });
    expect(x.service.stopAgent).toHaveBeenCalledWith(RUN, 'a2');
    await x.run('orchestration.stopAgent', { kind: 'agent', runId: RUN, agentId: 'a1' });
    expect(x.service.stopAgent).toHaveBeenCalledTimes(1);
    expect(window.showInformationMessage).toHaveBeenCalledWith('a1 is completed; only a running or waiting agent can be stopped.');
    x.dispose();
  });

  it('Rerun Agent asks for an optional instruction; Escape cancels', async () => {
    const x = setup();
    window.showInputBox.mockResolvedValueOnce('  Also check the admin routes ').mockResolvedValueOnce('').mockResolvedValueOnce(undefined);
    for (let i = 0; i < 3; i++) await x.run('orchestration.rerunAgent', { kind: 'agent', runId: RUN, agentId: 'a1' });
    expect(x.service.rerunAgent.mock.calls).toEqual([[RUN, 'a1', 'Also check the admin routes'], [RUN, 'a1', '']]);
    x.dispose();
  });

  it('refuses Rerun and Ask while another window or process executes the run, before asking anything', async () => {
    const x = setup(snapshot({ status: 'running', agents: [agent()] }));
    await x.run('orchestration.rerunAgent', RUN, 'a1');
    await x.run('orchestration.askAgent', RUN, 'a1');
    expect(window.showInputBox).not.toHaveBeenCalled();
    expect(window.showWarningMessage).toHaveBeenCalledWith(expect.stringMatching(/^Cannot rerun a1: run .* is executing in another window or process/));
    expect(window.showWarningMessage).toHaveBeenCalledWith(expect.stringMatching(/^Cannot ask a1: /));
    x.dispose();
  });

  it('Ask Agent asks a question and opens the answer file in an editor', async () => {
    const x = setup();
    window.showInputBox.mockImplementationOnce(async (opts: unknown) => {
      expect((opts as { validateInput: (v: string) => unknown }).validateInput('  ')).toMatch(/cannot be empty/);
      return 'Which finding is the worst?';
    });
    await x.run('orchestration.askAgent', { kind: 'agent', runId: RUN, agentId: 'a1' });
    expect(x.service.askAgent).toHaveBeenCalledWith(RUN, 'a1', 'Which finding is the worst?');
    expect(window.showTextDocument).toHaveBeenCalledWith(expect.objectContaining({ fsPath: '/ws/.orchestration/r/asks/a1-1.md' }), { preview: false });
    x.dispose();
  });

  it('Add Worker on a domain asks for the task, scope and tier, and adds it there', async () => {
    const x = setup();
    window.showInputBox.mockResolvedValueOnce('Check the CORS settings of the server').mockResolvedValueOnce('src/server, src/app.ts ,');
    window.showQuickPick.mockImplementationOnce(async (items: unknown) => (items as Array<{ tier: string }>).find((i) => i.tier === 'opus'));
    await x.run('orchestration.addWorker', { kind: 'group', runId: RUN, groupId: 'a' });
    expect(x.service.addWorker).toHaveBeenCalledWith(RUN, { group: 'a', task: 'Check the CORS settings of the server', scope: ['src/server', 'src/app.ts'], tier: 'opus' });
    x.dispose();
  });

  it('Add Worker says why a pattern without such a group refuses, and waits for an unfinished run', async () => {
    const x = setup(snapshot({ status: 'completed', pattern: 'pipeline' }));
    await x.run('orchestration.addWorker', { kind: 'group', runId: RUN, groupId: 'a' });
    expect(window.showInformationMessage).toHaveBeenCalledWith(expect.stringMatching(/^A pipeline run has no group of workers to add to/));
    const y = setup(snapshot({ status: 'awaiting-approval' }));
    await y.run('orchestration.addWorker', { kind: 'group', runId: RUN, groupId: 'a' });
    expect(window.showInformationMessage).toHaveBeenLastCalledWith(expect.stringMatching(/awaiting approval; approve or edit its plan first/));
    expect(x.service.addWorker).not.toHaveBeenCalled();
    expect(y.service.addWorker).not.toHaveBeenCalled();
    x.dispose(); y.dispose();
  });

  it('Open Run Dashboard and Review Plan open their panels; a plan that is not awaiting approval is not reviewed', async () => {
    const x = setup();
    await x.run('orchestration.openDashboard', { kind: 'run', runId: RUN });
    expect(x.showDashboard).toHaveBeenCalledWith(RUN);
    await x.run('orchestration.reviewPlan', { kind: 'run', runId: RUN });
    expect(x.reviewPlan).not.toHaveBeenCalled();
    expect(window.showInformationMessage).toHaveBeenCalledWith(expect.stringMatching(/only a plan awaiting approval/));
    const y = setup(snapshot({ status: 'awaiting-approval' }));
    await y.run('orchestration.reviewPlan');
    expect(y.reviewPlan).toHaveBeenCalledWith(RUN);
    x.dispose(); y.dispose();
  });
});

describe('the tree\'s context menu (package.json when clauses)', () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as {
    contributes: { menus: Record<string, Array<{ command: string; when?: string; group?: string }>>; commands: Array<{ command: string }> };
  };
  // The same test VS Code makes: `viewItem =~ /re/` or `viewItem == value` against the item's contextValue.
  const offered = (command: string, contextValue: string, inline = false) => pkg.contributes.menus['view/item/context']
    .filter((m) => m.command === command && (m.group ?? '').startsWith('inline') === inline)
    .some((m) => [...(m.when ?? '').matchAll(/viewItem =~ \/(.+?)\/(?= |\)|$)/g)].some(([, re]) => new RegExp(re.replace(/\\\\/g, '\\')).test(contextValue))
      || [...(m.when ?? '').matchAll(/viewItem == ([^\s)]+)/g)].some(([, v]) => v === contextValue));

  it.each(AGENT_STATUSES)('a %s worker offers Show always, Stop only while it runs, Rerun and Ask once it is done', (status) => {
    const cv = agentItem(agent({ status }), RUN, NOW).contextValue!;
    expect(offered('orchestration.showAgent', cv)).toBe(true);
    expect(offered('orchestration.stopAgent', cv)).toBe(['running', 'verifying', 'retrying'].includes(status));
    expect(offered('orchestration.stopAgent', cv, true)).toBe(['running', 'verifying', 'retrying'].includes(status));
    expect(offered('orchestration.rerunAgent', cv)).toBe(['completed', 'failed', 'cancelled', 'skipped'].includes(status));
    expect(offered('orchestration.askAgent', cv)).toBe(['completed', 'failed', 'cancelled'].includes(status));
  });

  it('an agent cut off by an interrupted run can be rerun or asked, not stopped', () => {
    const cv = agentItem(agent({ status: 'running' }), RUN, NOW, 'interrupted').contextValue!;
    expect([offered('orchestration.stopAgent', cv), offered('orchestration.rerunAgent', cv), offered('orchestration.askAgent', cv)]).toEqual([false, true, true]);
  });

  it.each(RUN_STATUSES)('a %s run offers the dashboard, and Review Plan only while its plan awaits approval', (status) => {
    const cv = runItem(snapshot({ status }), NOW).contextValue!;
    expect(offered('orchestration.openDashboard', cv)).toBe(true);
    expect(offered('orchestration.reviewPlan', cv)).toBe(status === 'awaiting-approval');
    expect(offered('orchestration.deleteRun', cv)).toBe(!['running', 'planning'].includes(status));
  });

  it('Add Worker is offered on the groups of patterns that take one', () => {
    for (const [pattern, yes] of [['fan-out', true], ['map-reduce', true], ['panel', true], ['pipeline', false], ['supervisor', false], ['build', false], ['workflow', false]] as const) {
      const cv = groupItem(snapshot({ pattern }), { id: 'a', label: 'A' }, 0).contextValue!;
      expect(offered('orchestration.addWorker', cv), pattern).toBe(yes);
    }
  });

  it('every menu entry names a contributed command', () => {
    const known = new Set(pkg.contributes.commands.map((c) => c.command));
    for (const m of pkg.contributes.menus['view/item/context']) expect(known.has(m.command), m.command).toBe(true);
  });
});

describe('AgentController', () => {
  const outcome = (status: RunOutcome['status']): RunOutcome => ({ status, reason: null, gaps: [], summaryPath: null, totals: snapshot().totals });

  function controller(orchestrator: Record<string, unknown>, shared?: unknown) {
    const store = new RunStore(new RunLocation(), silent);
    const provider = { dispose: vi.fn(async () => undefined) };
    const session = { orchestrator, provider, settings: {}, workspace: '/ws' };
    const open = vi.fn(async () => session as never);
    const runs = { isActive: vi.fn(() => false), isExecuting: vi.fn(() => false), sessionOf: vi.fn(() => shared as never) };
    const log = { error: vi.fn(), warn: vi.fn(), show: vi.fn() };
    const relay = new TranscriptRelay();
    const c = new AgentController({ store, runs: runs as never, relay, log, open, location: new RunLocation(), keys: {} as never, logger: silent, promptsDir: '/p', notices: new Notices() });
    return { c, store, provider, open, log };
  }

  it('runs a rerun under a notification, follows its run while it executes, and lets go after', async () => {
    const live = fakeRun(snapshot({ status: 'running' }));
    let seenLive = false;
    const x = controller({
      rerunAgent: vi.fn(async (_r: string, _a: string, opts: { onRun(run: unknown): void; instruction?: string }) => {
        opts.onRun({ ...live, onDidTranscript: () => ({ dispose() {} }) });
        seenLive = x.store.isLive(RUN) && x.c.isExecuting(RUN);
        expect(opts.instruction).toBe('be brief');
        return outcome('completed');
      }),
    });
    await x.c.rerunAgent(RUN, 'a1', 'be brief');
    expect(seenLive).toBe(true);
    expect(x.store.isLive(RUN)).toBe(false);
    expect(x.c.isExecuting(RUN)).toBe(false);
    expect(x.provider.dispose).toHaveBeenCalled();
    expect(window.withProgress).toHaveBeenCalledWith(expect.objectContaining({ title: 'Rerunning a1', location: ProgressLocation.Window }), expect.any(Function));
    expect(window.showInformationMessage).toHaveBeenCalledWith(expect.stringMatching(/^Rerun of a1 finished; the run is completed/), 'Open Summary');
    x.c.dispose(); x.store.dispose();
  });

  it('shows the engine\'s refusal as it is, and a bad input as an error', async () => {
    const x = controller({
      askAgent: vi.fn(async () => { throw new CommandRefusedError('Run r is running in another window or process (pid 9); asking a1 there, or when it has finished'); }),
      addWorker: vi.fn(async () => { throw new ConfigError('The worker cannot be added', ['Worker "a9" has scope "nope", which does not exist in the workspace']); }),
    });
    expect(await x.c.askAgent(RUN, 'a1', 'why?')).toBeUndefined();
    expect(window.showWarningMessage).toHaveBeenCalledWith('Cannot ask a1: Run r is running in another window or process (pid 9); asking a1 there, or when it has finished');
    await x.c.addWorker(RUN, { group: 'a', task: 'Check things carefully', scope: ['nope'], tier: 'haiku' });
    expect(window.showErrorMessage).toHaveBeenCalledWith('Cannot add a worker: Worker "a9" has scope "nope", which does not exist in the workspace');
    x.c.dispose(); x.store.dispose();
  });

  it('stops through the session the window already holds for the run, and reports what the engine says', async () => {
    const stopAgent = vi.fn(async () => ({ ok: true, message: 'Stopped a2; the rest of the run goes on' }));
    const sharedProvider = { dispose: vi.fn() };
    const x = controller({}, { orchestrator: { stopAgent }, provider: sharedProvider });
    await x.c.stopAgent(RUN, 'a2');
    expect(x.open).not.toHaveBeenCalled();
    expect(stopAgent).toHaveBeenCalledWith(RUN, 'a2');
    expect(sharedProvider.dispose).not.toHaveBeenCalled();
    expect(window.setStatusBarMessage).toHaveBeenCalledWith('Stopped a2; the rest of the run goes on.', expect.any(Number));
    expect(window.showInformationMessage).not.toHaveBeenCalled();
    x.c.dispose(); x.store.dispose();
  });
});
