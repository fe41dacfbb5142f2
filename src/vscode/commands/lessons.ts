/**
 * Lessons for memory.md in VS Code: when a run this window executed ends with lessons proposed,
 * one notification ("2 lessons proposed …", Review Lessons); Review Lessons (also on a finished
 * run in the Ledger) shows them in a multi-select QuickPick. The ticked ones are appended to
 * memory.md, the rest are dropped; dismissing the pick decides nothing.
 */
import * as vscode from 'vscode';
import { decideLessons, FINISHED_RUN_STATUSES, readProposals, type LessonProposal } from '../../engine';
import { plural } from '../../shared/words';
import { Disposable } from '../dispose';
import { truncate } from '../format';
import type { RunLocation } from '../location';
import type { Notices } from '../notices';
import type { RunStore } from '../runs/runStore';
import { runIdOf, type LedgerNode } from '../tree/treeItems';

export const REVIEW_LESSONS_COMMAND = 'orchestration.reviewLessons';
export const REVIEW_LESSONS_ACTION = 'Review Lessons';
export const OPEN_MEMORY_ACTION = 'Open memory.md';

export interface LessonsDeps {
  store: Pick<RunStore, 'onDidEvent' | 'get' | 'runDir'>;
  location: Pick<RunLocation, 'workspace' | 'outputRoot'>;
  notices: Pick<Notices, 'info' | 'error' | 'status'>;
  /** The clock that dates accepted entries (tests fix it). */
  now?: () => Date;
}

type Item = vscode.QuickPickItem & { id: string };

export class Lessons extends Disposable {
  constructor(private readonly deps: LessonsDeps) {
    super();
    this._register(vscode.commands.registerCommand(REVIEW_LESSONS_COMMAND, (arg?: LedgerNode | string) => this.review(arg)));
    // A live run's end: its proposals are written before its status is (Run.finish), so they are there now.
    this._register(deps.store.onDidEvent(({ runId, event }) => {
      if (event.type === 'run' && FINISHED_RUN_STATUSES.has(event.status) && event.status !== 'declined') void this.offer(runId);
    }));
  }

  private async pending(runId: string): Promise<{ dir: string; pending: LessonProposal[] } | undefined> {
    const dir = this.deps.store.runDir(runId);
    if (!dir) return undefined;
    const file = await readProposals(dir);
    return { dir, pending: file?.proposals.filter((p) => p.status === 'proposed') ?? [] };
  }

  /** The notification after a run: nothing when it proposed no lessons. */
  async offer(runId: string): Promise<void> {
    const found = await this.pending(runId);
    if (!found?.pending.length) return;
    const task = this.deps.store.get(runId)?.task ?? runId;
    const choice = await this.deps.notices.info(
      `${plural(found.pending.length, 'lesson')} proposed for memory.md by run "${truncate(task, 40)}". Nothing is added until you accept.`,
      REVIEW_LESSONS_ACTION,
    );
    if (choice === REVIEW_LESSONS_ACTION) await this.review(runId);
  }

  /** The QuickPick: ticked lessons are added to memory.md, the others dropped; Escape decides nothing. */
  async review(arg?: LedgerNode | string): Promise<void> {
    const runId = typeof arg === 'string' ? arg : runIdOf(arg);
    const ws = this.deps.location.workspace();
    if (!runId || !ws) { void this.deps.notices.info('Pick a finished build run in the Ledger to review its lessons.'); return; }
    const found = await this.pending(runId);
    if (!found?.pending.length) { void this.deps.notices.info(`Run ${runId} has no lessons waiting for you.`); return; }
    const items: Item[] = found.pending.map((p) => ({
      id: p.id, label: p.text, description: p.kind, detail: `Found in ${p.evidence.join(', ')}`, picked: false,
    }));
    const picked = await vscode.window.showQuickPick(items, {
      canPickMany: true, ignoreFocusOut: true, matchOnDescription: true,
      title: `Lessons from run ${runId}: tick those to add to memory.md`,
      placeHolder: 'Ticked lessons are appended to memory.md for later runs; the others are dropped',
    });
    if (!picked) return;
    const accept = picked.map((i) => i.id);
    try {
      const r = await decideLessons(
        { runDir: found.dir, workspace: ws, outputRoot: this.deps.location.outputRoot(), now: (this.deps.now ?? (() => new Date()))() },
        { accept, drop: found.pending.map((p) => p.id).filter((id) => !accept.includes(id)) },
      );
      if (!r.accepted.length) { this.deps.notices.status('No lesson was added to memory.md.'); return; }
      const open = await this.deps.notices.info(`Added ${plural(r.accepted.length, 'lesson')} to memory.md.`, OPEN_MEMORY_ACTION);
      if (open === OPEN_MEMORY_ACTION) await vscode.window.showTextDocument(vscode.Uri.file(r.memoryFile));
    } catch (err) {
      void this.deps.notices.error(`Lessons were not recorded: ${(err as Error).message}`);
    }
  }
}
