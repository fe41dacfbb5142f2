/**
 * The commands on one agent (Show, Stop, Rerun, Ask), on a group (Add Worker) and on a run (Open
 * Run Dashboard, Review Plan). Each resolves its target (a tree node, ids from a panel, or a pick),
 * asks what it must (an instruction, a question, a new worker's task), refuses what cannot work
 * with a message that says why, and hands the work to the controller or a panel.
 */
import * as vscode from 'vscode';
import { TIERS, type LedgerSnapshot, type Tier } from '../../engine';
import { Disposable } from '../dispose';
import { truncate } from '../format';
import type { RunStore } from '../runs/runStore';
import { groupsOf, patternOf, viewOf } from '../runs/runShape';
import { runIdOf, type LedgerNode } from '../tree/treeItems';
import { pickRun } from './runPick';

export const SHOW_AGENT_COMMAND = 'orchestration.showAgent';
export const STOP_AGENT_COMMAND = 'orchestration.stopAgent';
export const RERUN_AGENT_COMMAND = 'orchestration.rerunAgent';
export const ASK_AGENT_COMMAND = 'orchestration.askAgent';
export const ADD_WORKER_COMMAND = 'orchestration.addWorker';
export const OPEN_DASHBOARD_COMMAND = 'orchestration.openDashboard';
export const REVIEW_PLAN_COMMAND = 'orchestration.reviewPlan';

/** A leaf to add to a finished run (the engine's LeafRequest). */
export interface NewWorker { group: string; task: string; scope: string[]; tier: Tier; perspective?: string }

/** What the agent commands need of the controller: each reports its own progress and errors. */
export interface AgentService {
  isActive(runId: string): boolean;
  stopAgent(runId: string, agentId: string): Promise<void>;
  rerunAgent(runId: string, agentId: string, instruction: string): Promise<void>;
  /** The answer file, opened by the caller; undefined when nothing was answered (refused, cancelled). */
  askAgent(runId: string, agentId: string, question: string): Promise<string | undefined>;
  addWorker(runId: string, worker: NewWorker): Promise<void>;
}

export interface AgentCommandDeps {
  store: RunStore;
  service: AgentService;
  showAgent(runId: string, agentId: string): void | Promise<void>;
  showDashboard(runId: string): void | Promise<void>;
  reviewPlan(runId: string): void | Promise<void>;
}

/** What a command gets: a tree node, or (runId, agentId) from a panel, or nothing from the palette. */
type Target = LedgerNode | string | undefined;

const IN_FLIGHT = new Set(['queued', 'running', 'verifying', 'retrying']);
/** Run statuses after which agents may be rerun, asked or added (the engine says the same). */
const FINISHED = new Set(['completed', 'partial', 'failed', 'cancelled']);

export class AgentCommands extends Disposable {
  constructor(private readonly deps: AgentCommandDeps) {
    super();
    const handlers: Record<string, (...args: never[]) => unknown> = {
      [SHOW_AGENT_COMMAND]: (t?: Target, agentId?: string) => this.withAgent(t, agentId, 'Show which agent?', () => true, (s, id) => deps.showAgent(s.runId, id)),
      [STOP_AGENT_COMMAND]: (t?: Target, agentId?: string) => this.withAgent(t, agentId, 'Stop which agent?', (st) => IN_FLIGHT.has(st), (s, id) => this.stop(s, id)),
      [RERUN_AGENT_COMMAND]: (t?: Target, agentId?: string) => this.withAgent(t, agentId, 'Rerun which agent?', (st) => !IN_FLIGHT.has(st), (s, id) => this.rerun(s, id)),
      [ASK_AGENT_COMMAND]: (t?: Target, agentId?: string) => this.withAgent(t, agentId, 'Ask which agent?', (st) => !IN_FLIGHT.has(st) && st !== 'pending', (s, id) => this.ask(s, id)),
      [ADD_WORKER_COMMAND]: (t?: Target, groupId?: string) => this.addWorker(t, groupId),
      [OPEN_DASHBOARD_COMMAND]: async (t?: Target) => {
        const s = await this.run(t, 'Open the dashboard of which run?', () => true);
        if (s) await deps.showDashboard(s.runId);
      },
      [REVIEW_PLAN_COMMAND]: async (t?: Target) => {
        const s = await this.run(t, 'Review the plan of which run?', (r) => r.status === 'awaiting-approval');
        if (!s) return;
        if (s.status !== 'awaiting-approval') {
          void vscode.window.showInformationMessage(`Run ${s.runId} is ${s.status}: only a plan awaiting approval can be reviewed and edited. Its plan.md shows what ran.`);
          return;
        }
        await deps.reviewPlan(s.runId);
      },
    };
    for (const [id, fn] of Object.entries(handlers)) this._register(vscode.commands.registerCommand(id, fn));
  }

  /** The run a command applies to: from a node or an id, else picked among runs that fit. */
  private async run(t: Target, title: string, fits: (s: LedgerSnapshot) => boolean): Promise<LedgerSnapshot | undefined> {
    const id = typeof t === 'string' ? t : runIdOf(t);
    if (id) {
      const s = this.deps.store.get(id);
      if (!s) void vscode.window.showWarningMessage(`Run ${id} is no longer in the workspace.`);
      return s;
    }
    return pickRun(this.deps.store.runs().filter(fits), title, () => void vscode.window.showInformationMessage('No run fits that command.'));
  }

  private async withAgent(
    t: Target, agentId: string | undefined, title: string, fits: (status: string) => boolean,
    fn: (s: LedgerSnapshot, agentId: string) => unknown,
  ): Promise<void> {
    const s = await this.run(t, title, (r) => r.agents.some((a) => fits(a.status)));
    if (!s) return;
    let id = typeof t === 'object' && t.kind === 'agent' ? t.agentId : agentId;
    if (!id) {
      const pick = await vscode.window.showQuickPick(
        s.agents.filter((a) => fits(a.status)).map((a) => ({ label: a.id, description: `${a.role} · ${a.status}`, detail: truncate(a.task, 100), id: a.id })),
        { title, matchOnDescription: true, matchOnDetail: true },
      );
      id = pick?.id;
    }
    if (!id) return;
    if (!s.agents.some((a) => a.id === id)) {
      void vscode.window.showWarningMessage(`Run ${s.runId} has no agent ${id}.`);
      return;
    }
    await fn(s, id);
  }

  /** Rerun, Ask and Add Worker change the run's ledger: never while another window or process runs it. */
  private refuseElsewhere(s: LedgerSnapshot, what: string): boolean {
    if ((s.status === 'running' || s.status === 'planning') && !this.deps.service.isActive(s.runId)) {
      void vscode.window.showWarningMessage(`Cannot ${what}: run ${s.runId} is executing in another window or process. Wait for it to finish there (Stop Agent still works).`);
      return true;
    }
    return false;
  }

  private refuseUnfinished(s: LedgerSnapshot, what: string): boolean {
    if (FINISHED.has(s.status)) return false;
    const instead = s.status === 'awaiting-approval' ? 'approve or edit its plan first'
      : s.status === 'declined' ? 'its plan was declined, so nothing ran'
      : s.status === 'interrupted' ? 'it was cut off: resume it first'
      : 'wait for it to finish';
    void vscode.window.showInformationMessage(`Cannot ${what}: run ${s.runId} is ${s.status === 'awaiting-approval' ? 'awaiting approval' : s.status}; ${instead}.`);
    return true;
  }

  private async stop(s: LedgerSnapshot, agentId: string): Promise<void> {
    const a = s.agents.find((x) => x.id === agentId);
    if (a && !IN_FLIGHT.has(a.status)) {
      void vscode.window.showInformationMessage(`${agentId} is ${a.status}; only a running or waiting agent can be stopped.`);
      return;
    }
    await this.deps.service.stopAgent(s.runId, agentId);
  }

  private async rerun(s: LedgerSnapshot, agentId: string): Promise<void> {
    const what = `rerun ${agentId}`;
    if (this.refuseElsewhere(s, what) || this.refuseUnfinished(s, what)) return;
    const instruction = await vscode.window.showInputBox({
      title: `Rerun ${agentId}`,
      prompt: 'An extra instruction for this attempt (optional). Its coordinator and the final summary run again after it.',
      placeHolder: 'e.g. Also check the admin routes',
      ignoreFocusOut: true,
      validateInput: (v) => (v.length > 4000 ? `At most 4,000 characters (${v.length})` : undefined),
    });
    if (instruction === undefined) return;
    await this.deps.service.rerunAgent(s.runId, agentId, instruction.trim());
  }

  private async ask(s: LedgerSnapshot, agentId: string): Promise<void> {
    const a = s.agents.find((x) => x.id === agentId);
    if (a && (IN_FLIGHT.has(a.status) || a.status === 'pending')) {
      void vscode.window.showInformationMessage(`${agentId} is ${a.status}; ask it once it has finished.`);
      return;
    }
    // A run this window executes answers from its live ledger; one another process runs does not.
    if (this.refuseElsewhere(s, `ask ${agentId}`)) return;
    const question = await vscode.window.showInputBox({
      title: `Ask ${agentId}`,
      prompt: 'A follow-up question; the agent answers from its own transcript and output. The answer opens in an editor.',
      placeHolder: 'e.g. Which of your findings is the most severe, and why?',
      ignoreFocusOut: true,
      validateInput: (v) => (!v.trim() ? 'Ask something (the question cannot be empty)' : v.length > 4000 ? `At most 4,000 characters (${v.length})` : undefined),
    });
    if (!question?.trim()) return;
    const file = await this.deps.service.askAgent(s.runId, agentId, question.trim());
    if (file) await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
  }

  private async addWorker(t: Target, groupArg?: string): Promise<void> {
    const s = await this.run(t, 'Add a worker to which run?', (r) => FINISHED.has(r.status) && !!viewOf(patternOf(r)).addWorker);
    if (!s) return;
    const pattern = patternOf(s, this.deps.store.cachedPlan(s.runId));
    const view = viewOf(pattern);
    const leaf = view.addWorker;
    if (!leaf) {
      void vscode.window.showInformationMessage(`A ${pattern} run has no group of workers to add to: ${view.noAddWorker ?? 'its agents come from the plan'}.`);
      return;
    }
    const noun = leaf.noun;
    const what = `add a ${noun}`;
    if (this.refuseElsewhere(s, what) || this.refuseUnfinished(s, what)) return;
    const groups = groupsOf(s, this.deps.store.cachedPlan(s.runId)).filter((g) => leaf.joins?.(g) ?? true);
    let group = typeof t === 'object' && t.kind === 'group' ? t.groupId : groupArg;
    if (group && !groups.some((g) => g.id === group)) {
      void vscode.window.showInformationMessage(`New ${noun}s join ${groups.map((g) => g.label).join(', ') || 'no group of this run'}, not ${group}.`);
      return;
    }
    if (!group) {
      const pick = groups.length === 1 ? { id: groups[0].id } : await vscode.window.showQuickPick(
        groups.map((g) => ({ label: g.label, description: g.id, id: g.id })), { title: `Add a ${noun} to which group?` },
      );
      group = pick?.id;
    }
    if (!group) return;
    const title = `Add a ${noun} to ${groups.find((g) => g.id === group)?.label ?? group}`;
    let perspective: string | undefined;
    if (leaf.perspective) {
      perspective = (await vscode.window.showInputBox({
        title: `${title} (1/4)`, prompt: `The perspective this ${noun} judges from`, placeHolder: 'e.g. site reliability engineer', ignoreFocusOut: true,
        validateInput: (v) => (v.trim().length < 2 ? 'Name a role, like "security reviewer"' : v.length > 80 ? 'At most 80 characters' : undefined),
      }))?.trim();
      if (!perspective) return;
    }
    const step = (n: number) => `${title} (${leaf.perspective ? n + 1 : n}/${leaf.perspective ? 4 : 3})`;
    const task = (await vscode.window.showInputBox({
      title: step(1), prompt: `What the new ${noun} does: one narrow task`, placeHolder: 'e.g. Review the session cookie flags in src/auth', ignoreFocusOut: true,
      validateInput: (v) => (v.trim().length < 8 ? 'Say what to do (8+ characters)' : v.length > 600 ? `At most 600 characters (${v.length})` : undefined),
    }))?.trim();
    if (!task) return;
    const scopeText = await vscode.window.showInputBox({
      title: step(2), prompt: leaf.filesOnly ? 'The files it reads, comma-separated, relative to the workspace' : 'Files or folders it reads, comma-separated, relative to the workspace',
      placeHolder: 'e.g. src/auth, src/server/session.ts', ignoreFocusOut: true,
      validateInput: (v) => (splitScope(v).length === 0 ? 'Name at least one file or folder' : splitScope(v).length > 20 ? 'At most 20 paths' : undefined),
    });
    if (scopeText === undefined) return;
    const tier = await vscode.window.showQuickPick(
      TIERS.map((tr) => ({ label: tr, description: TIER_USE[tr], tier: tr })),
      { title: step(3), placeHolder: 'Model tier' },
    );
    if (!tier) return;
    await this.deps.service.addWorker(s.runId, { group, task, scope: splitScope(scopeText), tier: tier.tier, ...(perspective ? { perspective } : {}) });
  }
}

const TIER_USE: Record<Tier, string> = {
  haiku: 'search, grep and lookup', sonnet: 'review, analysis and synthesis', opus: 'architecture, security audit, writing code',
};

export function splitScope(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}
