import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
import { AGENT_STATUSES, RUN_STATUSES, type AgentStatus, type LedgerSnapshot, type RunStatus } from '../../src/engine';
import { LedgerTree } from '../../src/vscode/tree/ledgerTree';
import { RunLocation } from '../../src/vscode/location';
import { RunStore, type LiveRun } from '../../src/vscode/runs/runStore';
import { agentItem, groupItem, planItem, runItem } from '../../src/vscode/tree/treeItems';
import { NARROW_AGENT_CHARS, NARROW_RUN_CHARS, runStartLabel } from '../../src/vscode/tree/ledgerRows';
import { agent, fakeRun, NOW, plan, snapshot } from './vscode/fixtures';
import { EventEmitter, MarkdownString, resetStub, ThemeIcon, TreeItemCollapsibleState, window } from './vscode-stub';

const AGENT_ICON: Record<AgentStatus, string> = {
  pending: 'circle-outline', queued: 'clock', running: 'loading~spin', verifying: 'sync~spin', retrying: 'debug-restart',
  completed: 'pass', failed: 'error', cancelled: 'circle-slash', skipped: 'debug-step-over',
};
const RUN_ICON: Record<RunStatus, string> = {
  planning: 'loading~spin', 'awaiting-approval': 'question', running: 'loading~spin', completed: 'pass',
  partial: 'warning', failed: 'error', cancelled: 'circle-slash', interrupted: 'debug-disconnect', declined: 'close',
};
const silent = { info() {}, warn() {}, error() {} };

beforeEach(() => resetStub());

describe('agent record → TreeItem', () => {
  it.each(AGENT_STATUSES)('maps a %s worker to its codicon, contextValue, description, tooltip and click command', (status) => {
    const running = status === 'running' || status === 'verifying' || status === 'retrying';
    const a = agent({ status, endedAt: running ? null : agent().endedAt });
    const item = agentItem(a, 'r1', NOW);
    expect((item.iconPath as unknown as ThemeIcon).id).toBe(AGENT_ICON[status]);
    expect(item.contextValue).toBe(`agent.worker.${status}`);
    expect(item.id).toBe('r1/a1');
    expect(item.label).toBe('a1');
    expect(item.collapsibleState).toBe(TreeItemCollapsibleState.None);
    // The fixture has a cost, so even a not-started agent shows it.
    const cost = ' · $0.004';
    expect(item.description).toMatch(new RegExp(`^${status === 'completed' ? 'done' : status}${cost.replace(/[$.]/g, '\\$&')} · haiku · 3\\.1k tok · \\d+ s · Find every HTTP handler in src/server and list its routes$`));
    expect(item.tooltip).toBeInstanceOf(MarkdownString);
    expect((item.tooltip as unknown as MarkdownString).value).toContain('Find every HTTP handler in src/server');
    expect(item.command).toEqual({ command: 'orchestration.openAgentOutput', title: 'Open Output', arguments: ['r1', 'a1'] });
    // No resource: a file decoration's badge would repeat the icon in the room status and cost need.
    expect(item.resourceUri).toBeUndefined();
  });

  it('describes a finished haiku worker exactly like the design says', () => {
    expect(agentItem(agent(), 'r1', NOW).description).toBe('done · $0.004 · haiku · 3.1k tok · 12 s · Find every HTTP handler in src/server and list its routes');
  });

  it('puts a builder\'s change right after its status and cost, and names the build\'s last step for what it does, without a model', () => {
    const builder = agent({ id: 'b1', role: 'builder', task: 'Add docs', changes: { files: ['src/a.js', 'src/b.js'], added: 7, removed: 2 } });
    expect(agentItem(builder, 'r1', NOW, 'completed', false, 'build').description).toBe('done · $0.004 · 2 files +7 −2 · haiku · 3.1k tok · 12 s · Add docs');
    const assembly = agentItem(agent({ id: 'assemble', role: 'final', domain: null }), 'r1', NOW, 'completed', false, 'build');
    expect(assembly.label).toBe('assemble');
    expect(assembly.description).toBe('done · $0.004 · 3.1k tok · 12 s · Assembly: changes.patch');
  });

  it('counts a running agent\'s time up to now and shows nothing it does not know yet', () => {
    const fresh = agent({ status: 'pending', startedAt: null, endedAt: null, usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, costUsd: 0 });
    expect(agentItem(fresh, 'r1', NOW).description).toBe('pending · haiku · Find every HTTP handler in src/server and list its routes');
    const live = agent({ status: 'running', endedAt: null });
    expect(agentItem(live, 'r1', NOW).description).toContain('20 s');
  });

  it('escapes model text in the tooltip and lists model requested vs reported, attempts and error', () => {
    const a = agent({ status: 'failed', attempts: 2, modelReported: 'claude-haiku-5-5-20250101', error: 'no <!-- DONE --> [x](javascript:alert(1))', returned: null });
    const md = (agentItem(a, 'r1', NOW).tooltip as unknown as MarkdownString).value;
    expect(md).toContain('claude\\-haiku\\-5\\-5\\-20250101 reported');
    expect(md).toContain('Attempts: 2');
    expect(md).toContain('\\[x\\]\\(javascript:alert\\(1\\)\\)');
    expect(md).not.toContain('<!--');
  });

  it('labels coordinators and the final synthesis by id, and names their role where a worker\'s task goes', () => {
    const coord = agentItem(agent({ id: 'coord-b', role: 'coordinator', domain: 'b', tier: 'sonnet' }), 'r', NOW);
    expect([coord.label, coord.description]).toEqual(['coord-b', 'done · $0.004 · sonnet · 3.1k tok · 12 s · Coordinator b']);
    const fin = agentItem(agent({ id: 'final', role: 'final', domain: null, status: 'failed' }), 'r', NOW);
    expect(fin.label).toBe('final');
    expect(fin.description).toMatch(/^failed · \$0\.004 · .* · Final summary$/);
    expect(fin.contextValue).toBe('agent.final.failed');
  });
});

describe('run and domain items', () => {
  it.each(RUN_STATUSES)('maps a %s run to its icon and contextValue', (status) => {
    const item = runItem(snapshot({ status }), NOW);
    expect((item.iconPath as unknown as ThemeIcon).id).toBe(RUN_ICON[status]);
    // A finished audit (the fixture is a fan-out run) offers Fix Findings through its `.findings` suffix.
    expect(item.contextValue).toBe(`run.${status}${status === 'completed' || status === 'partial' ? '.findings' : ''}`);
    expect(item.collapsibleState).toBe(TreeItemCollapsibleState.Collapsed);
    expect(item.label).toBe(runStartLabel(snapshot().createdAt, NOW));
    expect(item.description).toMatch(new RegExp(`^${status === 'awaiting-approval' ? 'awaiting approval' : status} · `));
  });

  it('labels a run with when it started, and describes it with status, cost, duration, the simulated label, then the task', () => {
    const item = runItem(snapshot(), NOW);
    expect(item.label).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(item.description).toBe('running · ≈$0.42 · 1m 0s · simulated · Audit this repo for security issues');
    expect(runItem(snapshot({ simulated: false }), NOW).description).toBe('running · $0.42 · 1m 0s · Audit this repo for security issues');
    expect((item.tooltip as unknown as MarkdownString).value).toContain('2/6 agents completed');
    const md = (runItem(snapshot({ status: 'interrupted' }), NOW).tooltip as unknown as MarkdownString).value;
    expect(md).toContain('Resume');
  });

  it('shows done/total per domain with the plan\'s name, and opens plan.md from the plan item', () => {
    const s = snapshot();
    const a = groupItem(s, { id: 'a', label: 'HTTP surface' }, 0, plan.domains[0].brief);
    expect(a.label).toBe('A · HTTP surface');
    expect(a.description).toBe('1/3');
    expect((a.iconPath as unknown as ThemeIcon).id).toBe('loading~spin');
    const b = groupItem(s, { id: 'b', label: 'Domain b' }, 1);
    expect(b.label).toBe('Domain b');
    expect(b.description).toBe('1/2 · 1 failed');
    const p = planItem(s, '/ws/.orchestration/r');
    expect(p.description).toBe('fan-out · 2 domains · 3 workers');
    expect(p.command?.command).toBe('vscode.open');
  });
});

describe('LedgerTree', () => {
  afterEach(() => vi.useRealTimers());

  function setup(s: LedgerSnapshot = snapshot()) {
    const store = new RunStore(new RunLocation(), silent);
    const run = fakeRun(s);
    store.attach(run as unknown as LiveRun);
    const tree = new LedgerTree(store, undefined, () => NOW);
    return { store, run, tree };
  }

  it('nests run → plan, domains in plan order, final; domain → workers then coordinator', async () => {
    const { tree, store } = setup();
    const [runNode] = await tree.getChildren();
    expect(runNode).toEqual({ kind: 'run', runId: '20250601-115500-ab12' });
    const children = await tree.getChildren(runNode);
    expect(children.map((c) => c.kind === 'group' ? c.groupId : c.kind === 'agent' ? c.agentId : c.kind)).toEqual(['plan', 'a', 'b', 'final']);
    const domainA = children[1];
    expect(tree.getTreeItem(domainA).label).toBe('A · HTTP surface');
    const agents = await tree.getChildren(domainA);
    expect(agents.map((n) => (n as { agentId: string }).agentId)).toEqual(['a1', 'a2', 'coord-a']);
    expect(tree.getParent(agents[0])).toEqual(domainA);
    tree.dispose();
    store.dispose();
  });

  it('debounces a burst of ledger events into one refresh', async () => {
    vi.useFakeTimers();
    const { tree, store, run } = setup();
    const fired = vi.fn();
    tree.onDidChangeTreeData(fired);
    for (let i = 0; i < 50; i++) { run.update(snapshot()); await vi.advanceTimersByTimeAsync(5); }
    await vi.advanceTimersByTimeAsync(1000);
    expect(fired.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(fired.mock.calls.length).toBeLessThanOrEqual(3);
    tree.dispose();
    store.dispose();
  });

  it('tells which run the user selected, whether the run itself or anything below it', () => {
    const { tree, store } = setup();
    const selected: string[] = [];
    tree.onDidSelectRun((id) => selected.push(id));
    const view = vi.mocked(window.createTreeView).mock.results[0].value as { select(...n: unknown[]): void };
    view.select({ kind: 'run', runId: 'r1' });
    view.select({ kind: 'agent', runId: 'r2', agentId: 'a1' });
    view.select();
    expect(selected).toEqual(['r1', 'r2']);
    tree.dispose();
    store.dispose();
  });

  it('selects the run it is told to reveal, so a later click on the row selected before still changes the selection', async () => {
    const reveals = new EventEmitter<string>();
    const store = new RunStore(new RunLocation(), silent);
    store.attach(fakeRun(snapshot()) as unknown as LiveRun);
    const tree = new LedgerTree(store, reveals.event, () => NOW);
    const view = vi.mocked(window.createTreeView).mock.results.at(-1)!.value as { visible: boolean; reveal: ReturnType<typeof vi.fn> };
    view.visible = true;
    reveals.fire('20250601-115500-ab12');
    await vi.waitFor(() => expect(view.reveal).toHaveBeenCalledWith({ kind: 'run', runId: '20250601-115500-ab12' }, { expand: true, select: true, focus: false }));
    tree.dispose();
    store.dispose();
  });

  it('selects a run shown while the Ledger was hidden once it shows again, and only once', async () => {
    const reveals = new EventEmitter<string>();
    const store = new RunStore(new RunLocation(), silent);
    store.attach(fakeRun(snapshot()) as unknown as LiveRun);
    const tree = new LedgerTree(store, reveals.event, () => NOW);
    const view = vi.mocked(window.createTreeView).mock.results.at(-1)!.value as { reveal: ReturnType<typeof vi.fn>; setVisible(v: boolean): void };
    reveals.fire('20250601-115500-ab12');
    await new Promise((r) => setTimeout(r, 10));
    expect(view.reveal).not.toHaveBeenCalled();
    view.setVisible(true);
    await vi.waitFor(() => expect(view.reveal).toHaveBeenCalledWith({ kind: 'run', runId: '20250601-115500-ab12' }, { expand: true, select: true, focus: false }));
    await new Promise((r) => setTimeout(r, 10));
    view.setVisible(false);
    view.setVisible(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(view.reveal).toHaveBeenCalledTimes(1);
    tree.dispose();
    store.dispose();
  });

  it('keeps a run the store does not know yet (or the view could not resolve) pending, and reveals it once the store learns of it', async () => {
    const reveals = new EventEmitter<string>();
    const store = new RunStore(new RunLocation(), silent);
    const tree = new LedgerTree(store, reveals.event, () => NOW);
    const view = vi.mocked(window.createTreeView).mock.results.at(-1)!.value as { visible: boolean; reveal: ReturnType<typeof vi.fn> };
    view.visible = true;
    // Just planned: the Summary shows the run before the store has read it.
    reveals.fire('20250601-115500-ab12');
    await new Promise((r) => setTimeout(r, 10));
    expect(view.reveal).not.toHaveBeenCalled();
    // The view cannot resolve the node the first time; the next store change tries again.
    view.reveal.mockRejectedValueOnce(new Error('Cannot resolve tree item for element'));
    const run = fakeRun(snapshot());
    store.attach(run as unknown as LiveRun);
    await vi.waitFor(() => expect(view.reveal).toHaveBeenCalledTimes(1));
    run.update(snapshot());
    await vi.waitFor(() => expect(view.reveal).toHaveBeenCalledTimes(2));
    expect(view.reveal).toHaveBeenLastCalledWith({ kind: 'run', runId: '20250601-115500-ab12' }, { expand: true, select: true, focus: false });
    // Landed: later store changes reveal nothing more.
    run.update(snapshot());
    await new Promise((r) => setTimeout(r, 300));
    expect(view.reveal).toHaveBeenCalledTimes(2);
    tree.dispose();
    store.dispose();
  });

  it('drops a pending reveal once the user selects something, so it never takes the selection back', async () => {
    const reveals = new EventEmitter<string>();
    const store = new RunStore(new RunLocation(), silent);
    const tree = new LedgerTree(store, reveals.event, () => NOW);
    const view = vi.mocked(window.createTreeView).mock.results.at(-1)!.value as { visible: boolean; reveal: ReturnType<typeof vi.fn>; select(...n: unknown[]): void };
    view.visible = true;
    reveals.fire('20250601-115500-ab12');
    view.select({ kind: 'run', runId: 'r-other' });
    store.attach(fakeRun(snapshot()) as unknown as LiveRun);
    await new Promise((r) => setTimeout(r, 300));
    expect(view.reveal).not.toHaveBeenCalled();
    tree.dispose();
    store.dispose();
  });

  it('is safe to dispose twice and stops listening to its run', () => {
    const { tree, store, run } = setup();
    tree.dispose();
    tree.dispose();
    store.dispose();
    store.dispose();
    expect(run.listenerCount()).toBe(0);
  });
});

describe('an agent running as the user\'s agent definition', () => {
  it('shows @name in its row and, in its tooltip, the definition and what it asked for and did not get', () => {
    const a = agent({ agentDefinition: 'api-reviewer', agentNotes: ['Bash not given: no tool runs a shell here'] });
    const item = agentItem(a, 'r', NOW, 'completed');
    expect(item.description).toMatch(/ · haiku · @api-reviewer · /);
    const tip = (item.tooltip as unknown as MarkdownString).value;
    expect(tip).toContain('Runs as your agent definition **@api\\-reviewer**');
    expect(tip).toContain('Bash not given: no tool runs a shell here');
    expect(agentItem(agent(), 'r', NOW, 'completed').description).not.toContain('@');
  });
});

describe('money of a simulated run', () => {
  it('is what the run would cost, never shown as spent, in the description and the tooltips', () => {
    const item = agentItem(agent(), 'r', NOW, 'completed', true);
    expect(item.description).toMatch(/^done · ≈\$0\.004 · haiku · 3\.1k tok · \d+ s · /);
    expect((item.tooltip as unknown as MarkdownString).value).toContain('would cost $0.004 (simulated: nothing was spent)');
    const run = (runItem(snapshot(), NOW).tooltip as unknown as MarkdownString).value;
    expect(run).toContain('would cost $0.42');
    expect(run).toContain('nothing was spent');
    const real = (runItem(snapshot({ simulated: false }), NOW).tooltip as unknown as MarkdownString).value;
    expect(real).not.toMatch(/would cost|simulated/);
  });
});

describe('a declined run', () => {
  it('shows the run as declined and its agents as never run', () => {
    const s = snapshot({ status: 'declined' });
    const item = runItem(s, NOW);
    expect(item.contextValue).toBe('run.declined');
    expect(item.description).toMatch(/^declined · /);
    expect((item.tooltip as unknown as MarkdownString).value).toContain('nothing ran');
    const pending = agentItem(agent({ status: 'pending', startedAt: null, endedAt: null }), s.runId, NOW, 'declined');
    expect((pending.iconPath as unknown as ThemeIcon).id).toBe('debug-step-over');
  });
});

describe('the run context menu (package.json when clauses)', () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as {
    contributes: { menus: Record<string, Array<{ command: string; when?: string }>> };
  };
  // The same test VS Code makes: `viewItem =~ /re/` against the item's contextValue.
  const offered = (command: string, contextValue: string) => pkg.contributes.menus['view/item/context']
    .filter((m) => m.command === command)
    .some((m) => [...(m.when ?? '').matchAll(/viewItem =~ \/(.+?)\/(?= |\)|$)/g)].some(([, re]) => new RegExp(re.replace(/\\\\/g, '\\')).test(contextValue)));

  it.each(RUN_STATUSES)('a %s run offers Resume only when resuming it makes sense', (status) => {
    const contextValue = runItem(snapshot({ status }), NOW).contextValue!;
    expect(offered('orchestration.resumeRun', contextValue)).toBe(['interrupted', 'partial', 'cancelled', 'failed'].includes(status));
    expect(offered('orchestration.retryFailed', contextValue)).toBe(['partial', 'failed'].includes(status));
    expect(offered('orchestration.deleteRun', contextValue)).toBe(!['running', 'planning'].includes(status));
    expect(offered('orchestration.fixFindings', contextValue)).toBe(['completed', 'partial'].includes(status));
  });

  it('marks a run stopped at an approval gate `.approval`: Approve Stage is offered, and every other command as before', () => {
    const gate = agent({ id: 'review-approval', role: 'gate', domain: 'review', status: 'completed', returned: 'Waiting: waiting for approval of stage review (its findings): run `orchestrate approve r review`, then resume the run' });
    for (const status of RUN_STATUSES) {
      const plain = runItem(snapshot({ status }), NOW).contextValue!;
      const waiting = runItem(snapshot({ status, agents: [...snapshot().agents, gate] }), NOW).contextValue!;
      const settled = ['partial', 'failed', 'cancelled', 'interrupted', 'completed'].includes(status);
      expect(waiting).toBe(settled ? `${plain}.approval` : plain);
      expect(offered('orchestration.approveStage', waiting)).toBe(settled);
      expect(offered('orchestration.approveStage', plain)).toBe(false);
      for (const command of ['orchestration.resumeRun', 'orchestration.retryFailed', 'orchestration.deleteRun', 'orchestration.fixFindings', 'orchestration.reviewLessons', 'orchestration.openSummary']) {
        expect(offered(command, waiting), `${command} on ${waiting}`).toBe(offered(command, plain));
      }
    }
    // An approved gate (the run resumed past it) waits for nothing.
    expect(runItem(snapshot({ status: 'completed', agents: [{ ...gate, returned: 'Approved: stage review approved 2025-06-01' }] }), NOW).contextValue).toBe('run.completed.findings');
  });

  it('offers Fix Findings on a finished audit, never on a finished build', () => {
    expect(offered('orchestration.fixFindings', runItem(snapshot({ status: 'completed', pattern: 'build' }), NOW).contextValue!)).toBe(false);
    expect(offered('orchestration.fixFindings', runItem(snapshot({ status: 'completed', pattern: 'map-reduce' }), NOW).contextValue!)).toBe(true);
  });
});

describe('a gate waiting for the user', () => {
  it('reads as waiting for approval, not done; the same gate approved reads done', () => {
    const waiting = agent({ id: 'review-approval', role: 'gate', domain: 'review', status: 'completed', returned: 'Waiting: waiting for approval of stage review: run `orchestrate approve r review`, then resume the run' });
    const item = agentItem(waiting, 'r', NOW, 'partial', false, 'workflow');
    expect(item.description).toMatch(/^needs approval · /);
    expect((item.iconPath as unknown as ThemeIcon).id).toBe('question');
    expect((item.tooltip as unknown as MarkdownString).value).toContain('**Waiting for your approval** of stage review');
    // Its rerun and ask commands stay as for any completed agent.
    expect(item.contextValue).toBe('agent.gate.completed');
    const approved = agentItem({ ...waiting, returned: 'Approved: stage review approved 2025-06-01' }, 'r', NOW, 'completed', false, 'workflow');
    expect(approved.description).toMatch(/^done · /);
    expect((approved.iconPath as unknown as ThemeIcon).id).toBe('pass');
  });
});

describe('an interrupted run', () => {
  it('shows agents that were in flight as cut off, not spinning', () => {
    for (const status of ['queued', 'running', 'verifying', 'retrying'] as const) {
      const item = agentItem(agent({ status, endedAt: null }), 'r', NOW, 'interrupted');
      expect((item.iconPath as unknown as ThemeIcon).id).toBe('debug-disconnect');
      expect(item.contextValue).toBe('agent.worker.interrupted');
      expect(item.description).toBe('cut off · $0.004 · haiku · 3.1k tok · Find every HTTP handler in src/server and list its routes');
    }
    const done = agentItem(agent(), 'r', NOW, 'interrupted');
    expect((done.iconPath as unknown as ThemeIcon).id).toBe('pass');
    const s = snapshot({ status: 'interrupted' });
    expect((groupItem(s, { id: 'a', label: 'a' }, 0).iconPath as unknown as ThemeIcon).id).not.toBe('loading~spin');
  });
});

describe('at the default sidebar width (about 260 px)', () => {
  // What a narrow sidebar keeps of a row: the label whole, then the start of the description.
  const visible = (item: { label?: unknown; description?: unknown }, chars: number) => `${String(item.label)} ${String(item.description)}`.slice(0, chars);

  it.each(AGENT_STATUSES.filter((s) => !['pending', 'queued', 'skipped'].includes(s)))('a %s agent row shows its id, status and cost', (status) => {
    for (const simulated of [false, true]) {
      const a = agent({ status, id: 'a12', costUsd: 0.0123, endedAt: ['running', 'verifying', 'retrying'].includes(status) ? null : agent().endedAt });
      const seen = visible(agentItem(a, 'r', NOW, 'running', simulated), NARROW_AGENT_CHARS);
      expect(seen).toMatch(new RegExp(`^a12 ${status === 'completed' ? 'done' : status} · ${simulated ? '≈' : ''}\\$0\\.01`));
    }
  });

  it.each(RUN_STATUSES)('a %s run row shows its status and when it started', (status) => {
    const s = snapshot({ status });
    const seen = visible(runItem(s, NOW), NARROW_RUN_CHARS);
    expect(seen.startsWith(`${runStartLabel(s.createdAt, NOW)} ${status === 'awaiting-approval' ? 'awaiting approval' : status}`)).toBe(true);
  });

  it('tells two runs of the same task apart by their start', () => {
    const first = runItem(snapshot({ runId: '20250601-115500-ab12', createdAt: '2025-06-01T11:55:00.000Z' }), NOW);
    const second = runItem(snapshot({ runId: '20250601-115531-cd34', createdAt: '2025-06-01T11:55:31.000Z' }), NOW);
    expect(first.label).not.toBe(second.label);
    expect(runStartLabel('2025-05-30T09:05:07.000Z', NOW)).toMatch(/^May (29|30|31) \d\d:\d\d:07$/);
    expect(runStartLabel('2024-05-30T09:05:07.000Z', NOW)).toMatch(/^2024-05-(29|30|31) \d\d:\d\d$/);
  });

  it('counts a group\'s done/total as every view does: completed of the plan\'s agents, the rest named', () => {
    const s = snapshot({ agents: [
      agent({ id: 'a1' }), agent({ id: 'a2', status: 'cancelled' }), agent({ id: 'a3', status: 'skipped' }), agent({ id: 'a4', status: 'failed' }),
    ] });
    expect(groupItem(s, { id: 'a', label: 'a' }, 0).description).toBe('1/4 · 1 failed · 1 cancelled · 1 skipped');
  });
});
