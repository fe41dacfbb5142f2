/**
 * Approve Stage: the VS Code side of a workflow's approval gate. It shows what the gate asked the
 * user to look at, offers the stage's files first, and on approval hands over to the controller,
 * which writes the approval and resumes the run as Resume Run does (same trust and consent checks).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { approvalsWaiting, type WaitingApproval } from '../../engine';
import { Disposable } from '../dispose';
import { truncate } from '../format';
import type { Notices } from '../notices';
import { resolveInsideRun } from '../panels/paths';
import { APPROVE_STAGE_ACTION, APPROVE_STAGE_COMMAND, waitsForApproval } from '../runs/approvals';
import type { RunStore } from '../runs/runStore';
import { runIdOf, type LedgerNode } from '../tree/treeItems';
import { pickRun } from './runPick';

/** The modal's buttons (VS Code adds Cancel). */
export const APPROVE_AND_CONTINUE = 'Approve and Continue';
export const OPEN_STAGE_FILES = "Open the Stage's Files";
/** A stage of many agents opens this many files; the rest are one click away in the Ledger. */
export const FILES_OPENED = 10;

export interface ApproveStageDeps {
  store: Pick<RunStore, 'get' | 'runs' | 'plan' | 'runDir'>;
  controller: { isActive(runId: string): boolean; approveStage(runId: string, stageId: string): Promise<void> };
  notices: Notices;
}

export class ApproveStageCommand extends Disposable {
  constructor(private readonly deps: ApproveStageDeps) {
    super();
    this._register(vscode.commands.registerCommand(APPROVE_STAGE_COMMAND, (arg?: LedgerNode | string, stage?: string) => this.run(arg, stage)));
  }

  private async run(arg: LedgerNode | string | undefined, stageArg?: string): Promise<void> {
    const runId = typeof arg === 'string' ? arg : runIdOf(arg) ?? (await this.pickRun());
    if (!runId) return;
    const snap = this.deps.store.get(runId);
    if (this.deps.controller.isActive(runId) || !snap || !waitsForApproval(snap)) {
      void this.deps.notices.info(`Run ${runId} has no stage waiting for approval${this.deps.controller.isActive(runId) ? ' (it is active in this window)' : ''}.`);
      return;
    }
    const waiting = approvalsWaiting(snap.agents, await this.deps.store.plan(runId));
    const target = stageArg === undefined ? await this.pickStage(waiting) : waiting.find((w) => w.stage === stageArg);
    if (!target) {
      if (stageArg !== undefined) void this.deps.notices.info(`Stage ${stageArg} of run ${runId} is not waiting for approval.`);
      return;
    }
    const files = await this.existingFiles(runId, target.files);
    const choice = await vscode.window.showInformationMessage(
      `Approve stage ${target.stage} of "${truncate(snap.task, 60)}"?`,
      {
        modal: true,
        detail: `${target.message ? `Look at: ${target.message}\n\n` : `Look at the output of stage ${target.stage}.\n\n`}`
          + `${files.length ? `Its files: ${files.map((f) => f.rel).slice(0, FILES_OPENED).join(', ')}${files.length > FILES_OPENED ? ', …' : ''}\n\n` : ''}`
          + 'Approving lets the stages after it run: the run resumes now, on your API key and at your cost.',
      },
      APPROVE_AND_CONTINUE,
      ...(files.length ? [OPEN_STAGE_FILES] : []),
    );
    if (choice === APPROVE_AND_CONTINUE) {
      await this.deps.controller.approveStage(runId, target.stage);
      return;
    }
    if (choice !== OPEN_STAGE_FILES) return;
    for (const f of files.slice(0, FILES_OPENED)) await vscode.window.showTextDocument(vscode.Uri.file(f.abs), { preview: false, preserveFocus: true });
    // The files need reading first: approving waits for the user's word, one click away.
    const again = await this.deps.notices.info(
      `Stage ${target.stage} waits for your approval${target.message ? `: ${truncate(target.message, 120)}` : ''}. Its files are open.`,
      APPROVE_STAGE_ACTION,
    );
    if (again === APPROVE_STAGE_ACTION) await vscode.commands.executeCommand(APPROVE_STAGE_COMMAND, runId, target.stage);
  }

  private async pickRun(): Promise<string | undefined> {
    const candidates = this.deps.store.runs().filter((r) => waitsForApproval(r) && !this.deps.controller.isActive(r.runId));
    return (await pickRun(candidates, 'Approve a stage of which run?', () => void this.deps.notices.info('No run is waiting for a stage approval.')))?.runId;
  }

  private async pickStage(waiting: WaitingApproval[]): Promise<WaitingApproval | undefined> {
    if (waiting.length <= 1) return waiting[0];
    const pick = await vscode.window.showQuickPick(
      waiting.map((w) => ({ label: `Stage ${w.stage}`, detail: w.message ?? undefined, w })),
      { title: 'Approve which stage?' },
    );
    return pick?.w;
  }

  /** The stage's files that exist and resolve inside the run's folder (a ledger read back from disk is untrusted). */
  private async existingFiles(runId: string, rels: readonly string[]): Promise<Array<{ rel: string; abs: string }>> {
    const dir = this.deps.store.runDir(runId);
    if (!dir) return [];
    const found = await Promise.all(rels.map(async (rel) => {
      const abs = await resolveInsideRun(dir, rel);
      const isFile = abs ? await fs.stat(abs).then((st) => st.isFile(), () => false) : false;
      return abs && isFile ? { rel: path.posix.normalize(rel), abs } : null;
    }));
    return found.filter((f): f is { rel: string; abs: string } => f !== null);
  }
}
