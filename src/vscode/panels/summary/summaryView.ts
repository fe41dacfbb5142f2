/**
 * The Summary webview view: plan approval, the pattern's card and group cards, final summary, totals and gaps for one
 * run. It renders state it is given (store + controller) and posts only after the webview's
 * `ready`; every message from the webview is validated and handled by its own small handler.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChangeSet } from '../../../engine';
import { dispatch, HostMessageSchema, WebviewMessageSchema, type HandlerMap, type HostMessage, type WebviewMessage } from '../../../shared/protocol';
import { Debouncer } from '../../debounce';
import { Disposable, toDisposable } from '../../dispose';
import type { OrchestrationLog } from '../../log';
import { resolveInsideRun } from '../paths';
import type { RunController } from '../../runs/runController';
import type { RunStore } from '../../runs/runStore';
import { readPipelineFiles } from '../dashboard/boardFiles';
import { NO_PIPELINE_FILES } from '../dashboard/boardPipeline';
import { ArtifactReader } from './patternArtifacts';
import { finalAgentOf, patternOf, viewOf } from '../../runs/runShape';
import { APPROVE_STAGE_COMMAND } from '../../runs/approvals';
import { buildRunView, linkableFiles, runActions, SUMMARY_LIMIT } from './summaryModel';
import { makeNonce, summaryHtml } from '../webviewHtml';

export const SUMMARY_VIEW = 'orchestration.summary';

/** The build runs' change sets, as the Ledger reads them (ChangeSets). */
export interface ChangeSource {
  peek(runId: string): ChangeSet | null | undefined;
  readonly onDidChange: vscode.Event<string>;
}

/** The plan editors' drafts (PlanEditors): whether one holds edits, and how to bring it forward. */
export interface PlanDrafts {
  edited(runId: string): boolean;
  show(runId: string): Promise<void>;
  readonly onDidChangeDraft: vscode.Event<string>;
}

/** Commands the Changes card runs: the same ones as the Ledger's Changes node. */
export interface ChangeCommandIds { apply: string; discard: string; openDiff: string; ship?: string }

export interface SummaryExtras {
  changes?: ChangeSource;
  drafts?: PlanDrafts;
  changeCommands?: ChangeCommandIds;
}

export class SummaryView extends Disposable implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  /** Listeners of the current webview; VS Code may dispose and re-resolve the view many times. */
  private viewDisposables: vscode.Disposable[] = [];
  private ready = false;
  private runId: string | undefined;
  private readonly summaries = new Map<string, string | null>();
  /** `runId/outputFile` known to exist; agents' files are written once and stay, so only misses are re-checked. */
  private readonly seenFiles = new Set<string>();
  private readonly artifacts = new ArtifactReader();
  private readonly post = this._register(new Debouncer(() => void this.postState(), 150, 500));
  /** Counts postState calls, so an older one that finishes late is dropped. */
  private posts = 0;
  private readonly shown = this._register(new vscode.EventEmitter<string>());
  /**
   * A run the view was asked to show (just planned, the status bar, a command), not one the user
   * selected in the Ledger: the Ledger selects it too, or a click on the row still selected from
   * before would change no selection and leave the view on the other run.
   */
  readonly onDidShowRun = this.shown.event;

  private readonly handlers: HandlerMap<WebviewMessage> = {
    ready: () => { this.ready = true; void this.postState(); },
    approve: ({ runId }) => this.approve(runId),
    reviewPlan: ({ runId }) => this.extras.drafts?.show(runId),
    applyChanges: ({ runId }) => this.changeCommand('apply', runId),
    discardChanges: ({ runId }) => this.changeCommand('discard', runId),
    shipToBranch: ({ runId }) => this.changeCommand('ship', runId),
    openDiff: ({ runId, path: file }) => this.changeCommand('openDiff', runId, file),
    decline: ({ runId }) => this.controller.decline(runId),
    cancel: ({ runId }) => this.controller.cancel(runId),
    resume: ({ runId }) => this.controller.resume(runId, 'resume'),
    retryFailed: ({ runId }) => this.controller.resume(runId, 'retry-failed'),
    fixFindings: ({ runId }) => { void vscode.commands.executeCommand('orchestration.fixFindings', runId); },
    approveStage: ({ runId, stage }) => { void vscode.commands.executeCommand(APPROVE_STAGE_COMMAND, runId, stage); },
    openFile: ({ runId, path: rel }) => this.openFile(runId, rel),
  };

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: RunStore,
    private readonly controller: RunController,
    private readonly log: OrchestrationLog,
    private readonly extras: SummaryExtras = {},
  ) {
    super();
    this._register(toDisposable(() => this.disposeView()));
    this._register(vscode.window.registerWebviewViewProvider(SUMMARY_VIEW, this));
    this._register(store.onDidChange(() => this.post.schedule()));
    this._register(controller.onDidPlan((runId) => void this.show(runId)));
    if (extras.changes) this._register(extras.changes.onDidChange(() => this.post.schedule()));
    if (extras.drafts) this._register(extras.drafts.onDidChangeDraft(() => this.post.schedule()));
  }

  /**
   * The sidebar's Approve approves plan.json as planned. While the plan editor holds an edited
   * draft, that would run a plan other than the one the user is looking at, so the editor (where
   * the draft, its errors and its estimate are) comes forward instead. The webview hides the
   * button then; this covers a click that raced the state.
   */
  private async approve(runId: string): Promise<void> {
    if (this.extras.drafts?.edited(runId)) {
      await this.extras.drafts.show(runId);
      return;
    }
    await this.controller.approve(runId);
  }

  private async changeCommand(which: keyof ChangeCommandIds, runId: string, file?: string): Promise<void> {
    const id = this.extras.changeCommands?.[which];
    if (!id) return;
    await vscode.commands.executeCommand(id, ...(file === undefined ? [runId] : [runId, file]));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    this.ready = false;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    view.webview.html = summaryHtml({
      cspSource: view.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'summary.css')).toString(),
      extraStyleUris: [view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'common.css')).toString()],
    });
    this.viewDisposables.push(
      view.webview.onDidReceiveMessage(async (raw: unknown) => {
        try {
          const result = await dispatch(WebviewMessageSchema, this.handlers, raw);
          if (!result.ok) this.log.warn(`Summary view: ${result.error}`);
        } catch (err) {
          this.log.error(`Summary view: ${(err as Error).message}`);
        }
      }),
      view.onDidDispose(() => { if (this.view === view) this.disposeView(); }),
    );
  }

  /** Shows a run (or the newest when none is given) and reveals the view. */
  async show(runId?: string): Promise<void> {
    this.runId = runId ?? this.runId;
    if (runId) this.shown.fire(runId);
    await vscode.commands.executeCommand(`${SUMMARY_VIEW}.focus`);
    await this.postState();
  }

  /** Follows the Ledger's selection: shows that run if the view is open, without taking focus. */
  select(runId: string): void {
    if (runId === this.runId) return;
    this.runId = runId;
    void this.postState();
  }

  private currentRunId(): string | undefined {
    if (this.runId && this.store.get(this.runId)) return this.runId;
    return this.store.runs()[0]?.runId;
  }

  private async postState(): Promise<void> {
    if (!this.view || !this.ready) return;
    // Posts overlap (a selection while a store change is being read): only the newest may land, or
    // a slower post for the run shown before would replace the one just selected, and stay.
    const ticket = ++this.posts;
    const runId = this.currentRunId();
    const snapshot = runId ? this.store.get(runId) : undefined;
    let message: HostMessage = { type: 'state', run: null };
    if (runId && snapshot) {
      const plan = await this.store.plan(runId);
      const final = finalAgentOf(snapshot);
      const summary = final?.status === 'completed' ? await this.summaryOf(runId, final.endedAt ?? '') : null;
      const dir = this.store.runDir(runId);
      const artifacts = dir ? await this.artifacts.read(dir, snapshot, viewOf(patternOf(snapshot, plan)).card) : undefined;
      const pipeline = dir ? await readPipelineFiles(dir, snapshot) : NO_PIPELINE_FILES;
      const written = await this.writtenFiles(runId, linkableFiles(snapshot, artifacts, pipeline));
      const actions = runActions(snapshot, this.controller.isExecuting(runId), this.extras.drafts?.edited(runId) ?? false);
      const changes = this.extras.changes?.peek(runId) ?? null;
      message = { type: 'state', run: buildRunView(snapshot, plan, summary, actions, written, artifacts, changes, pipeline) };
    }
    // Validated on the way out too: a malformed ledger should fail here, visibly, not in the DOM.
    if (ticket !== this.posts) return;
    const checked = HostMessageSchema.safeParse(message);
    if (!checked.success) {
      this.log.warn(`Summary view: state for ${runId} did not validate: ${checked.error.message}`);
      return;
    }
    await this.view?.webview.postMessage(checked.data);
  }

  /** Which of a run's output files exist (relative paths; anything outside the run counts as missing). */
  private async writtenFiles(runId: string, files: string[]): Promise<Set<string>> {
    const dir = this.store.runDir(runId);
    const written = new Set<string>();
    if (!dir) return written;
    await Promise.all([...new Set(files)].map(async (rel) => {
      const key = `${runId}/${rel}`;
      if (!this.seenFiles.has(key)) {
        const target = await resolveInsideRun(dir, rel);
        if (!target || !(await fs.stat(target).then((st) => st.isFile(), () => false))) return;
        this.seenFiles.add(key);
      }
      written.add(rel);
    }));
    return written;
  }

  /** summary.md is final once its agent completed; keyed by end time so a retry re-reads it. */
  private async summaryOf(runId: string, endedAt: string): Promise<string | null> {
    const key = `${runId}@${endedAt}`;
    if (!this.summaries.has(key)) this.summaries.set(key, await this.readSummary(runId));
    return this.summaries.get(key) ?? null;
  }

  private async readSummary(runId: string): Promise<string | null> {
    const dir = this.store.runDir(runId);
    if (!dir) return null;
    try {
      const handle = await fs.open(path.join(dir, 'summary.md'), 'r');
      try {
        const buf = Buffer.alloc(SUMMARY_LIMIT);
        const { bytesRead } = await handle.read(buf, 0, SUMMARY_LIMIT, 0);
        return buf.subarray(0, bytesRead).toString('utf8');
      } finally {
        await handle.close();
      }
    } catch {
      return null;
    }
  }

  /** Opens a file the webview linked to, only if it resolves inside that run's directory. */
  private async openFile(runId: string, rel: string): Promise<void> {
    const dir = this.store.runDir(runId);
    const target = dir && this.store.get(runId) ? await resolveInsideRun(dir, rel) : null;
    if (!target) {
      this.log.warn(`Summary view asked to open "${rel}" outside run ${runId}; refused.`);
      void vscode.window.showWarningMessage(`Refused to open "${rel}": only files inside the run's folder can be opened from the summary.`);
      return;
    }
    try {
      await vscode.window.showTextDocument(vscode.Uri.file(target), { preview: true });
    } catch {
      void vscode.window.showInformationMessage(`${rel} does not exist yet.`);
    }
  }

  private disposeView(): void {
    for (const d of this.viewDisposables) d.dispose();
    this.viewDisposables = [];
    this.view = undefined;
    this.ready = false;
  }
}
