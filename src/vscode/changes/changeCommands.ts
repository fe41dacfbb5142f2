/**
 * The user's gate on a build run: open a file's diff, apply the change (all, or one file) to the
 * working tree, or discard it. Apply never commits, pushes or switches branches, and refuses over
 * uncommitted edits to a file it touches (the engine names them).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { applyRunChanges, describeDiscard, discardRunChanges, producesChanges, repoInfo, type ChangeSet } from '../../engine';
import { plural } from '../../shared/words';
import type { Notices } from '../notices';
import { Disposable } from '../dispose';
import type { RunLocation } from '../location';
import type { RunController } from '../runs/runController';
import type { RunStore } from '../runs/runStore';
import { worktreesDirSetting } from '../settings';
import { requireTrust } from '../trust';
import { runIdOf, type LedgerNode } from '../tree/treeItems';
import { changeUri } from './changeDocuments';
import { OPEN_CHANGE_DIFF_COMMAND } from './changeItems';
import type { ChangeSets } from './changeSets';

export const APPLY_CHANGES_COMMAND = 'orchestration.applyChanges';
export const DISCARD_CHANGES_COMMAND = 'orchestration.discardChanges';

type Arg = LedgerNode | string | undefined;

export interface ChangeCommandDeps {
  store: RunStore;
  controller: Pick<RunController, 'isActive'>;
  location: RunLocation;
  changes: ChangeSets;
  notices: Notices;
}

export class ChangeCommands extends Disposable {
  constructor(private readonly deps: ChangeCommandDeps) {
    super();
    this._register(vscode.commands.registerCommand(OPEN_CHANGE_DIFF_COMMAND, (runId: string, repoPath: string) => this.openDiff(runId, repoPath)));
    this._register(vscode.commands.registerCommand(APPLY_CHANGES_COMMAND, (arg?: Arg) => this.apply(arg)));
    this._register(vscode.commands.registerCommand(DISCARD_CHANGES_COMMAND, (arg?: Arg) => this.discard(arg)));
  }

  private async openDiff(runId: string, repoPath: string): Promise<void> {
    if (!requireTrust('show a build\'s diff')) return;
    const title = `${path.posix.basename(repoPath)} (base ↔ proposed by run ${runId})`;
    await vscode.commands.executeCommand('vscode.diff', changeUri('base', runId, repoPath), changeUri('proposed', runId, repoPath), title, { preview: true });
  }

  /** The run and (for a file node) the one file a command targets; picks a run with a proposed change otherwise. */
  private async target(arg: Arg, verb: string): Promise<{ runId: string; file?: string; cs: ChangeSet } | undefined> {
    let runId = typeof arg === 'string' ? arg : runIdOf(arg);
    const file = typeof arg === 'object' && arg.kind === 'changeFile' ? arg.path : undefined;
    if (!runId) {
      const proposed = [];
      for (const r of this.deps.store.runs().filter((s) => producesChanges(s.pattern))) {
        if ((await this.deps.changes.load(r.runId))?.state === 'proposed') proposed.push(r);
      }
      if (!proposed.length) { void this.deps.notices.info('No build run has a proposed change.'); return undefined; }
      runId = proposed.length === 1 ? proposed[0].runId
        : (await vscode.window.showQuickPick(proposed.map((r) => ({ label: r.task, detail: r.runId, runId: r.runId })), { title: `${verb} the changes of which run?` }))?.runId;
      if (!runId) return undefined;
    }
    if (this.deps.controller.isActive(runId)) {
      void this.deps.notices.warn(`Run ${runId} is still running; ${verb.toLowerCase()} its changes when it has finished.`);
      return undefined;
    }
    const cs = await this.deps.changes.load(runId);
    if (!cs) { void this.deps.notices.info(`Run ${runId} has no proposed change.`); return undefined; }
    return { runId, cs, ...(file ? { file } : {}) };
  }

  private async apply(arg: Arg): Promise<void> {
    if (!requireTrust('apply a build\'s changes')) return;
    const t = await this.target(arg, 'Apply');
    const ws = this.deps.location.workspace();
    const dir = t && this.deps.store.runDir(t.runId);
    if (!t || !ws || !dir) return;
    if (t.cs.state !== 'proposed') { void this.deps.notices.info(`The changes of run ${t.runId} were already ${t.cs.state}.`); return; }
    try {
      const { applied, remaining } = await applyRunChanges({
        workspace: ws, runDir: dir, runId: t.runId, rootOverride: worktreesDirSetting(), ...(t.file ? { files: [t.file] } : {}),
      });
      // A confirmation: the diff and the tree show the result, so nothing needs to sit over the editor.
      this.deps.notices.status(`Applied ${plural(applied.length, 'file')} to your working tree (not committed)${remaining.length ? `; ${remaining.length} still proposed` : ''}.`);
      if (applied.length === 1) {
        const repo = await repoInfo(ws);
        await vscode.window.showTextDocument(vscode.Uri.file(path.join(repo.root, applied[0])), { preview: true });
      }
    } catch (err) {
      void this.deps.notices.error(`Apply refused: ${(err as Error).message}`);
    } finally {
      await this.deps.changes.load(t.runId);
    }
  }

  private async discard(arg: Arg): Promise<void> {
    if (!requireTrust('discard a build\'s changes')) return;
    const t = await this.target(arg, 'Discard');
    const ws = this.deps.location.workspace();
    const dir = t && this.deps.store.runDir(t.runId);
    if (!t || !ws || !dir) return;
    // Only a change still proposed has anything to lose: a settled one is cleaned up without asking,
    // and the result says there was nothing to discard.
    if (t.cs.state === 'proposed') {
      const applied = new Set(t.cs.appliedFiles ?? []);
      const n = t.cs.files.filter((f) => !applied.has(f.path)).length;
      const kept = applied.size ? ` The ${plural(applied.size, 'file')} applied earlier ${applied.size === 1 ? 'stays' : 'stay'}.` : '';
      const answer = await vscode.window.showWarningMessage(
        `Discard the changes of run ${t.runId}?`,
        { modal: true, detail: `${plural(n, 'proposed file change')} and the builders' worktrees and branches are removed. Your working tree is not touched.${kept}` },
        'Discard',
      );
      if (answer !== 'Discard') return;
    }
    try {
      const result = await discardRunChanges({ workspace: ws, runDir: dir, runId: t.runId, rootOverride: worktreesDirSetting() });
      this.deps.notices.status(describeDiscard(t.runId, result));
    } catch (err) {
      void this.deps.notices.error(`Discard failed: ${(err as Error).message}`);
    } finally {
      await this.deps.changes.load(t.runId);
    }
  }
}
