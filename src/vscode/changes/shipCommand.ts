/**
 * Ship to Branch: a finished build's approved change as one commit on a new branch. The steps,
 * each with a stable text a test or playwright can drive:
 *   1. the branch name in an input box ("Ship to Branch"), the default prefilled and checked with
 *      `git check-ref-format` and against existing branches as it is typed;
 *   2. the draft message opened in an editor (`ship-message.md` in the run folder) beside a
 *      notification with **Ship** and **Cancel**, so the user edits, then decides;
 *   3. the result as a notification with **Push…**, which asks for one of `git remote`.
 * Nothing is pushed without that button; the user's branch, index and working tree stay as they are.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  branchClashes, branchNameProblem, checkShip, CommandRefusedError, describeShip, listRemotes, mayOfferShip, pushShipped, SHIP_MESSAGE_FILE, shipRun, ShipRefusedError,
  type ShipCheck,
} from '../../engine';
import { Disposable } from '../dispose';
import { worktreesDirSetting } from '../settings';
import { requireTrust } from '../trust';
import { runIdOf, type LedgerNode } from '../tree/treeItems';
import type { ChangeCommandDeps } from './changeCommands';

export const SHIP_TO_BRANCH_COMMAND = 'orchestration.shipToBranch';
/** The buttons' texts: stable, for tests and e2e. */
export const SHIP_BUTTON = 'Ship';
export const CANCEL_BUTTON = 'Cancel';
export const PUSH_BUTTON = 'Push…';
export const SHIP_INPUT_TITLE = 'Ship to Branch';

type Arg = LedgerNode | string | undefined;

/** Ship needs what Apply and Discard need: the runs, the workspace, the change sets, notices. */
export type ShipCommandDeps = ChangeCommandDeps;

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export class ShipCommands extends Disposable {
  constructor(private readonly deps: ShipCommandDeps) {
    super();
    this._register(vscode.commands.registerCommand(SHIP_TO_BRANCH_COMMAND, (arg?: Arg) => this.ship(arg)));
  }

  /** The run the command is for: the node's or the argument's, else one picked among finished builds. */
  private async runIdOf(arg: Arg): Promise<string | undefined> {
    const given = typeof arg === 'string' ? arg : runIdOf(arg);
    if (given) return given;
    const builds = this.deps.store.runs().filter((s) => mayOfferShip(s));
    if (!builds.length) { void this.deps.notices.info('No finished build run to ship.'); return undefined; }
    if (builds.length === 1) return builds[0].runId;
    return (await vscode.window.showQuickPick(builds.map((r) => ({ label: r.task, detail: r.runId, runId: r.runId })), { title: 'Ship the change of which run?' }))?.runId;
  }

  async ship(arg: Arg): Promise<void> {
    if (!requireTrust('ship a build\'s change')) return;
    const runId = await this.runIdOf(arg);
    const ws = this.deps.location.workspace();
    if (!runId || !ws) return;
    if (this.deps.controller.isActive(runId)) {
      void this.deps.notices.warn(`Run ${runId} is still running; ship its change when it has finished.`);
      return;
    }
    const outputRoot = this.deps.location.outputRoot();
    let check: ShipCheck;
    try {
      check = await checkShip({ workspace: ws, outputRoot, runId });
    } catch (err) {
      void this.deps.notices.error(`Ship failed: ${(err as Error).message}`);
      return;
    }
    if (check.shipped) {
      const s = check.shipped;
      const where = `Run ${runId} was already shipped: branch ${s.branch}, commit ${s.commit.slice(0, 12)}${s.pushedTo ? `, pushed to ${s.pushedTo}` : ''}.`;
      if (s.pushedTo) { void this.deps.notices.info(where); return; }
      if (await this.deps.notices.info(where, PUSH_BUTTON) === PUSH_BUTTON) await this.push(runId, s.branch);
      return;
    }
    if (check.refusals.length) {
      void this.deps.notices.warn(`Cannot ship run ${runId}: ${check.refusals.join(' ')}`);
      return;
    }
    const root = check.repo!.root;
    const branch = await vscode.window.showInputBox({
      title: SHIP_INPUT_TITLE,
      prompt: `The new branch for the change of run ${runId}, made from the run's base ${check.base.slice(0, 12)}. Your current branch, index and working tree are not touched.`,
      value: check.defaultBranch,
      ignoreFocusOut: true,
      validateInput: (v) => this.branchProblem(root, runId, v),
    });
    if (branch === undefined) return;
    const messageFile = path.join(check.runDir, SHIP_MESSAGE_FILE);
    // A draft the user edited before a Cancel is kept; otherwise the run's own draft.
    await fsp.writeFile(messageFile, check.message, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    const uri = vscode.Uri.file(messageFile);
    await vscode.window.showTextDocument(uri, { preview: false });
    const notes = check.notes.length ? ` ${check.notes.join(' ')}` : '';
    const answer = await this.deps.notices.info(
      `Edit the commit message in ${SHIP_MESSAGE_FILE}, then Ship to commit the change of run ${runId} on the new branch ${branch}.${notes}`,
      SHIP_BUTTON, CANCEL_BUTTON,
    );
    if (answer !== SHIP_BUTTON) { this.deps.notices.status(`Ship cancelled: nothing was made (the message stays in ${SHIP_MESSAGE_FILE}).`); return; }
    // What the editor shows is what is committed: unsaved edits are saved first.
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === uri.fsPath);
    if (doc?.isDirty) await doc.save();
    const message = await fsp.readFile(messageFile, 'utf8');
    try {
      const result = await shipRun({ workspace: ws, outputRoot, runId, branch, message, rootOverride: worktreesDirSetting() });
      const text = describeShip(runId, result).join(' ');
      if (await this.deps.notices.info(text, PUSH_BUTTON) === PUSH_BUTTON) await this.push(runId, result.record.branch);
    } catch (err) {
      if (err instanceof ShipRefusedError) void this.deps.notices.warn(`Ship refused: ${err.reasons.join(' ')}`);
      else if (err instanceof CommandRefusedError) void this.deps.notices.warn(`Ship refused: ${err.message}`);
      else void this.deps.notices.error(`Ship failed: ${(err as Error).message}`);
    } finally {
      await this.deps.changes.load(runId);
    }
  }

  /** Why the typed name cannot be the new branch, or null: git's rules, then what exists (the run's own branches make room). */
  private async branchProblem(root: string, runId: string, name: string): Promise<string | null> {
    const problem = await branchNameProblem(root, name);
    if (problem) return problem;
    const clash = (await branchClashes(root, name)).filter((r) => !r.startsWith(`refs/heads/orchestration/${runId}/`));
    if (clash.includes(`refs/heads/${name}`)) return `A branch named ${name} already exists`;
    if (clash.length) return `${name} cannot be made beside the existing ${clash.map((r) => r.slice('refs/heads/'.length)).join(', ')}`;
    return null;
  }

  /** Asks for a remote among `git remote`, then pushes as the user's git; git's output is shown. */
  private async push(runId: string, branch: string): Promise<void> {
    const ws = this.deps.location.workspace();
    if (!ws) return;
    let remotes: string[];
    try {
      remotes = await listRemotes(ws);
    } catch (err) {
      void this.deps.notices.error(`Push failed: ${(err as Error).message}`);
      return;
    }
    if (!remotes.length) { void this.deps.notices.info(`This repository has no remote to push ${branch} to (add one with git remote add).`); return; }
    const remote = await vscode.window.showQuickPick(remotes, { title: `Push ${branch} to which remote?` });
    if (!remote) return;
    try {
      const { push } = await pushShipped({ workspace: ws, outputRoot: this.deps.location.outputRoot(), runId, remote, interactive: false });
      const said = push.output ? ` git said: ${cut(push.output.replace(/\s+/g, ' '), 400)}` : '';
      if (push.ok) void this.deps.notices.info(`Pushed ${branch} to ${remote}.${said}`);
      else void this.deps.notices.error(`The push of ${branch} to ${remote} failed (git exit ${push.code ?? '?'}); the branch is made and not pushed.${said}`);
    } catch (err) {
      void this.deps.notices.error(`Push failed: ${(err as Error).message}`);
    }
  }
}
