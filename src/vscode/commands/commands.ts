/**
 * Command handlers. Each resolves its target (a tree node, a run id from a button, or a quick
 * pick) and hands the work to the controller, store or views; none holds state of its own.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { deleteRun, discardRunChanges, producesChanges, relativeInside, taskTooLong, type LedgerSnapshot } from '../../engine';
import { worktreesDirSetting } from '../settings';
import { Disposable } from '../dispose';
import { truncate } from '../format';
import type { Notices } from '../notices';
import type { RunLocation } from '../location';
import type { RunController } from '../runs/runController';
import type { RunStore } from '../runs/runStore';
import type { ApiKeyStore } from '../secrets';
import type { SummaryView } from '../panels/summary/summaryView';
import { pickFolder } from './folderPick';
import { pickPattern } from './patternPick';
import { pickRun } from './runPick';
import { NOT_STARTED, OPEN_AGENT_COMMAND, runIdOf, SHOW_RUN_COMMAND, type LedgerNode } from '../tree/treeItems';
import { requireTrust } from '../trust';

export interface CommandDeps {
  store: RunStore;
  controller: RunController;
  summary: SummaryView;
  keys: ApiKeyStore;
  location: RunLocation;
  /** Per-workspace memory (workspaceState): the last pattern picked is the next default. */
  state: vscode.Memento;
  notices: Notices;
  /** The workflows and agent definitions (the Ledger's nodes below the runs): Refresh reads them again too. */
  catalog?: { load(): Promise<unknown> };
}

type RunArg = LedgerNode | string | undefined;

const RESUMABLE = new Set(['interrupted', 'partial', 'cancelled', 'failed']);

export class Commands extends Disposable {
  constructor(private readonly deps: CommandDeps) {
    super();
    const c = deps.controller;
    const handlers: Record<string, (...args: never[]) => unknown> = {
      'orchestration.orchestrateTask': () => this.orchestrate(),
      // From the Explorer's menu with its folder; from the palette, the folder is asked for.
      'orchestration.orchestrateTaskOnFolder': async (uri?: vscode.Uri) => {
        const ws = deps.location.workspace();
        const folder = uri ?? (ws ? await pickFolder(vscode.Uri.file(ws), deps.location.outputRoot()) : undefined);
        if (folder) await this.orchestrate(folder);
      },
      'orchestration.setApiKey': () => deps.keys.prompt(),
      'orchestration.clearApiKey': () => deps.keys.clear(),
      'orchestration.cancelRun': async (arg?: RunArg) => {
        const id = await this.runId(arg, 'Cancel which run?', (r) => c.isActive(r.runId));
        if (id) await c.cancel(id);
      },
      'orchestration.resumeRun': async (arg?: RunArg) => {
        const id = await this.runId(arg, 'Resume which run?', (r) => RESUMABLE.has(r.status) && !c.isActive(r.runId));
        if (id) await c.resume(id, 'resume');
      },
      'orchestration.retryFailed': async (arg?: RunArg) => {
        const id = await this.runId(arg, 'Retry failed agents of which run?', (r) => r.agents.some((a) => a.status === 'failed') && !c.isActive(r.runId));
        if (id) await c.resume(id, 'retry-failed');
      },
      'orchestration.openSummary': (arg?: RunArg) => this.openSummary(arg),
      [SHOW_RUN_COMMAND]: async (arg?: RunArg) => {
        const id = await this.runId(arg, 'Show which run?', () => true);
        if (id) await deps.summary.show(id);
      },
      'orchestration.deleteRun': (arg?: RunArg) => this.delete(arg),
      'orchestration.refresh': () => Promise.all([deps.store.refresh(), deps.catalog?.load()]),
      'orchestration.revealInExplorer': (arg?: RunArg) => this.reveal(arg),
      [OPEN_AGENT_COMMAND]: (runId: string, agentId: string) => this.openAgent(runId, agentId),
    };
    for (const [id, fn] of Object.entries(handlers)) this._register(vscode.commands.registerCommand(id, fn));
  }

  private async orchestrate(folder?: vscode.Uri): Promise<void> {
    if (!requireTrust('orchestrate a task')) return;
    const ws = this.deps.location.workspace();
    let focus: string[] = [];
    if (folder && ws) {
      const rel = relativeInside(ws, folder.fsPath);
      if (rel === null) {
        void this.deps.notices.error(`${folder.fsPath} is outside the workspace folder ${ws}; runs plan over the first workspace folder.`);
        return;
      }
      if (rel) focus = [rel];
    }
    const task = await vscode.window.showInputBox({
      title: focus.length ? `Orchestrate Task on ${focus[0]}` : 'Orchestrate Task',
      prompt: 'Describe the work; a planner splits it into domains and workers you approve before anything runs.',
      placeHolder: 'e.g. Audit this repo for security issues',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? taskTooLong(v.trim()) ?? undefined : 'Describe the task (it cannot be empty)'),
    });
    if (!task?.trim()) return;
    const pattern = await pickPattern(this.deps.state, focus.length ? `Orchestrate Task on ${focus[0]}: choose a pattern` : 'Orchestrate Task: choose a pattern');
    if (!pattern) return;
    await this.deps.controller.orchestrate(task.trim(), focus, pattern);
  }

  /** The run a command applies to: from its argument, else picked among runs that qualify. */
  private async runId(arg: RunArg, title: string, fits: (r: LedgerSnapshot) => boolean): Promise<string | undefined> {
    if (typeof arg === 'string') return arg;
    const given = runIdOf(arg);
    if (given) return given;
    return (await pickRun(this.deps.store.runs().filter(fits), title, () => void this.deps.notices.info('No run fits that command.')))?.runId;
  }

  /** Opens summary.md in an editor; a run without one is shown in the Summary view, with why. */
  private async openSummary(arg: RunArg): Promise<void> {
    const id = await this.runId(arg, 'Open the summary of which run?', () => true);
    const dir = id ? this.deps.store.runDir(id) : undefined;
    if (!id || !dir) return;
    const file = path.join(dir, 'summary.md');
    if (await fs.stat(file).then((st) => st.isFile(), () => false)) {
      await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
      return;
    }
    const status = this.deps.store.get(id)?.status;
    const why = status === 'declined' ? 'its plan was declined, so nothing ran'
      : status === 'completed' ? 'the file is missing from its folder'
      : `the final synthesis has not written it (run ${status ?? 'not found'})`;
    await this.deps.summary.show(id);
    void this.deps.notices.info(`Run ${id} has no summary.md: ${why}. The Summary view shows what the run has.`);
  }

  private async delete(arg: RunArg): Promise<void> {
    const { store, controller, location } = this.deps;
    const id = await this.runId(arg, 'Delete which run?', (r) => !controller.isActive(r.runId));
    const ws = location.workspace();
    if (!id || !ws) return;
    if (controller.isActive(id)) {
      void this.deps.notices.warn('Cancel the run before deleting it.');
      return;
    }
    const snap = store.get(id);
    const answer = await vscode.window.showWarningMessage(
      `Delete run ${id}?`,
      { modal: true, detail: `${snap ? truncate(snap.task, 120) + '\n\n' : ''}Its folder (plan, ledger and every agent's output) is removed from the workspace.` },
      'Delete',
    );
    if (answer !== 'Delete') return;
    // A build run's worktrees and branches live outside its folder: they go with it.
    if (producesChanges(snap?.pattern) && vscode.workspace.isTrusted) {
      const dir = store.runDir(id);
      if (dir) await discardRunChanges({ workspace: ws, runDir: dir, runId: id, rootOverride: worktreesDirSetting() }).catch(() => undefined);
    }
    await deleteRun(ws, location.outputRoot(), id);
    store.forget(id);
  }

  private async reveal(arg: RunArg): Promise<void> {
    const id = await this.runId(arg, 'Reveal which run?', () => true);
    const dir = id ? this.deps.store.runDir(id) : undefined;
    if (!id || !dir) return;
    let target = dir;
    if (typeof arg === 'object' && arg.kind === 'agent') {
      const a = this.deps.store.get(id)?.agents.find((x) => x.id === arg.agentId);
      if (a) target = path.join(dir, a.outputFile);
    } else if (typeof arg === 'object' && arg.kind === 'plan') {
      target = path.join(dir, 'plan.md');
    } else if (typeof arg === 'object' && (arg.kind === 'changes' || arg.kind === 'changeFile')) {
      target = path.join(dir, 'changes.patch');
    }
    const exists = await fs.stat(target).then(() => true, () => false);
    await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(exists ? target : dir));
  }

  private async openAgent(runId: string, agentId: string): Promise<void> {
    const a = this.deps.store.get(runId)?.agents.find((x) => x.id === agentId);
    const dir = this.deps.store.runDir(runId);
    if (!a || !dir) return;
    const file = path.join(dir, a.outputFile);
    const exists = await fs.stat(file).then(() => true, () => false);
    if (NOT_STARTED.has(a.status) || !exists) {
      const declined = this.deps.store.get(runId)?.status === 'declined';
      const when = declined ? 'never ran: the plan was declined'
        : a.status === 'pending' || a.status === 'queued' ? `is ${a.status} and has not started`
        : `has not written its file yet (${a.status})`;
      void this.deps.notices.info(declined ? `${a.id} ${when}.` : `${a.id} ${when}; its output will be ${a.outputFile}.`);
      return;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
  }
}
