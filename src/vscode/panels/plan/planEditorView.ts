/**
 * Plan review in an editor panel: the plan that awaits approval, wide, with every agent's tier
 * and task editable, agents removable and workers addable. Each edit is applied to a draft held
 * here (so nothing typed is lost when the draft is invalid), previewed by the engine (debounced:
 * estimate and validation errors), and shown. Approve saves the draft through the engine
 * (revisePlan: the same schema as planning, written as plan.json) and starts the run through the
 * controller's usual approve path.
 */
import * as vscode from 'vscode';
import { planReviewDocuments, type AnyPlan, type Tier } from '../../../engine';
import type { HandlerMap } from '../../../shared/protocol';
import { PlanHostMessageSchema, PlanWebviewMessageSchema, type PlanEdit, type PlanHostMessage, type PlanWebviewMessage } from '../../../shared/planProtocol';
import { Debouncer } from '../../debounce';
import { Disposable } from '../../dispose';
import { truncate } from '../../format';
import { applyEdit } from './planEdit';
import { buildPlanEditorView, modelsOf, type PlanPreview } from './planEditorModel';
import type { RunStore } from '../../runs/runStore';
import { OpenPanels, registerPanelRestorer, showUnrestorable, WebviewPanelHost, type PanelLog } from '../webviewPanel';

export const PLAN_VIEW_TYPE = 'orchestration.planReview';

/** What the plan editor needs of the engine and the controller (the RunController implements it). */
export interface PlanService {
  /** Validates a draft and estimates it, without saving anything. */
  previewPlan(runId: string, plan: AnyPlan): Promise<PlanPreview | undefined>;
  /** Saves a draft as the run's plan; errors when the engine refuses it. */
  revisePlan(runId: string, plan: AnyPlan): Promise<{ ok: true } | { ok: false; errors: string[] }>;
  approve(runId: string): Promise<void>;
  decline(runId: string): Promise<void>;
  isExecuting(runId: string): boolean;
}

export interface PlanEditorDeps {
  extensionUri: vscode.Uri;
  store: RunStore;
  service: PlanService;
  log: PanelLog;
  /** Model ids per tier from the settings, for tiers no agent of the plan uses yet. */
  models: () => Record<Tier, string>;
  /** Plans are approved without review (setting autoApprovePlan): a plan that is ready opens no editor. */
  autoApprove?: () => boolean;
  /** After approval: what to show next (the run's dashboard). */
  onApproved?(runId: string): void;
  /** Milliseconds between the last edit and the engine's preview. */
  previewDelayMs?: number;
}

export class PlanEditors extends Disposable {
  private readonly panels = this._register(new OpenPanels<PlanEditorPanel>());
  private readonly edits = new Map<string, PlanEditorPanel>();
  private readonly draftChanged = this._register(new vscode.EventEmitter<string>());
  /** A run's draft became edited or stopped being so (edited, undone, approved, closed). */
  readonly onDidChangeDraft = this.draftChanged.event;

  constructor(private readonly deps: PlanEditorDeps) {
    super();
    this._register(registerPanelRestorer(PLAN_VIEW_TYPE, 'plan review', deps.log, (panel, { runId }) => this.restore(panel, runId)));
  }

  /** Brings back a plan review VS Code kept across a window reload, from the run's plan.json. */
  async restore(panel: vscode.WebviewPanel, runId: string): Promise<void> {
    await this.deps.store.refresh();
    const plan = this.deps.store.get(runId) ? await this.deps.store.plan(runId) : undefined;
    if (this._isDisposed) return;
    if (!plan) {
      showUnrestorable(panel, 'Plan', `Run ${runId} is no longer in the workspace, or has no readable plan.json: there is no plan to review.`);
      return;
    }
    if (this.panels.has(runId)) {
      panel.dispose();
      this.panels.reveal(runId);
      return;
    }
    this.panels.add(runId, this.track(new PlanEditorPanel(runId, plan, this.deps, true, panel)));
  }

  /** Opens (or reveals) the review of a run's plan. */
  async show(runId: string): Promise<void> {
    if (!this.panels.reveal(runId)) await this.open(runId, false);
  }

  /** A plan just became ready: opened wide without taking focus, unless plans are approved without review. */
  async planned(runId: string): Promise<void> {
    if (this.deps.autoApprove?.() || this.panels.has(runId)) return;
    await this.open(runId, true);
  }

  private async open(runId: string, quiet: boolean): Promise<void> {
    const plan = await this.deps.store.plan(runId);
    if (!plan || !this.deps.store.get(runId)) {
      void vscode.window.showWarningMessage(`Run ${runId} has no readable plan.json to review.`);
      return;
    }
    if (this.panels.has(runId) || this._isDisposed) return;
    this.panels.add(runId, this.track(new PlanEditorPanel(runId, plan, this.deps, quiet)));
  }

  /** Whether an open plan editor holds edits to the run's plan that are not saved: then its Approve is the only one. */
  edited(runId: string): boolean {
    return this.edits.get(runId)?.edited ?? false;
  }

  /** Follows a panel's draft, so the Summary can tell when its own Approve would bypass the edits. */
  private track(panel: PlanEditorPanel): PlanEditorPanel {
    this.edits.set(panel.runId, panel);
    panel.onDidChangeDraft(() => this.draftChanged.fire(panel.runId));
    panel.onDidClose(() => {
      if (this.edits.get(panel.runId) !== panel) return;
      this.edits.delete(panel.runId);
      if (!this._isDisposed) this.draftChanged.fire(panel.runId);
    });
    return panel;
  }

  get openRuns(): string[] {
    return this.panels.keys;
  }
}

export class PlanEditorPanel extends Disposable {
  private readonly host: WebviewPanelHost<PlanHostMessage, PlanWebviewMessage>;
  private draft: AnyPlan;
  private preview: PlanPreview | null = null;
  private checking = false;
  private note: string | null = null;
  private busy = false;
  /** Answers to older drafts are dropped: only the preview of the latest edit counts. */
  private generation = 0;
  private readonly previewSoon: Debouncer;
  private readonly postSoon = this._register(new Debouncer(() => void this.post(), 50, 200));
  private readonly draftChanged = this._register(new vscode.EventEmitter<void>());
  /** The draft changed (edit, undo, or the saved plan replacing it). */
  readonly onDidChangeDraft = this.draftChanged.event;
  readonly onDidClose: vscode.Event<void>;

  private readonly handlers: HandlerMap<Exclude<PlanWebviewMessage, { type: 'ready' }>> = {
    edit: ({ edit }) => this.edit(edit),
    reset: () => {
      this.draft = structuredClone(this.original);
      this.note = 'Back to the plan as the planner made it.';
      this.changedDraft();
    },
    approve: () => this.approve(),
    decline: () => this.decline(),
    openDocument: ({ id }) => this.openDocument(id),
  };

  constructor(readonly runId: string, private readonly original: AnyPlan, private readonly deps: PlanEditorDeps, quiet: boolean, restored?: vscode.WebviewPanel) {
    super();
    this.draft = structuredClone(original);
    this.previewSoon = this._register(new Debouncer(() => void this.runPreview(), deps.previewDelayMs ?? 300, 1500));
    const task = deps.store.get(runId)?.task ?? runId;
    this.host = this._register(new WebviewPanelHost(deps.extensionUri, {
      viewType: PLAN_VIEW_TYPE, title: `Plan: ${truncate(task, 40)}`, script: 'plan.js', styles: ['panels.css', 'common.css'],
      hostSchema: PlanHostMessageSchema, webviewSchema: PlanWebviewMessageSchema, restore: { runId }, panel: restored,
      // Opened by a plan becoming ready: in front, but the focus stays where the user was typing.
      ...(quiet ? { preserveFocus: true } : {}),
    }, this.handlers, () => void this.post(), deps.log));
    this.onDidClose = this.host.onDidDispose;
    this._register(this.host.onDidDispose(() => this.dispose()));
    this._register(deps.store.onDidChange(() => this.postSoon.schedule()));
    // An approved document edited and saved (architecture.md): its outline in the review follows.
    this._register(vscode.workspace.onDidSaveTextDocument((doc) => {
      const dir = deps.store.runDir(runId);
      if (dir && doc.uri.scheme === 'file' && doc.uri.fsPath.startsWith(dir)) this.postSoon.schedule();
    }));
  }

  reveal(): void {
    this.host.reveal();
  }

  /** Why the plan cannot be edited or approved now, or null. */
  private locked(): string | null {
    const s = this.deps.store.get(this.runId);
    if (!s) return 'The run is no longer in the workspace.';
    if (this.deps.service.isExecuting(this.runId) || s.status === 'running') return 'The plan was approved and is running; edits no longer apply.';
    if (s.status !== 'awaiting-approval') return `The run is ${s.status}, so its plan is shown read-only: only a plan awaiting approval can be edited.`;
    return null;
  }

  private edit(edit: PlanEdit): void {
    const locked = this.locked();
    if (locked) {
      this.note = locked;
      void this.post();
      return;
    }
    const result = applyEdit(this.draft, edit);
    if (!result.ok) {
      this.note = result.error;
      void this.post();
      return;
    }
    this.draft = result.plan;
    this.note = null;
    this.changedDraft();
  }

  /** The draft differs from the plan as the planner made it. */
  get edited(): boolean {
    return JSON.stringify(this.draft) !== JSON.stringify(this.original);
  }

  private changedDraft(): void {
    this.draftChanged.fire();
    this.generation++;
    this.preview = null;
    this.checking = true;
    this.previewSoon.schedule();
    void this.post();
  }

  private async runPreview(): Promise<void> {
    const gen = this.generation;
    const draft = this.draft;
    let result: PlanPreview | undefined;
    try {
      result = await this.deps.service.previewPlan(this.runId, draft);
    } catch (err) {
      result = { ok: false, errors: [`The engine could not check the plan: ${(err as Error).message}`] };
    }
    if (gen !== this.generation || this._isDisposed) return;
    this.preview = result ?? { ok: false, errors: ['The plan could not be checked (no model provider session; see the notification).'] };
    this.checking = false;
    void this.post();
  }

  private async approve(): Promise<void> {
    const locked = this.locked();
    if (locked || this.busy) {
      this.note = locked ?? 'Already approving…';
      void this.post();
      return;
    }
    this.busy = true;
    try {
      const changed = JSON.stringify(this.draft) !== JSON.stringify(this.original);
      if (changed) {
        this.note = 'Saving the edited plan…';
        void this.post();
        const saved = await this.deps.service.revisePlan(this.runId, this.draft);
        if (!saved.ok) {
          // The draft stays as it is: the user fixes what the errors name and approves again.
          this.preview = { ok: false, errors: saved.errors };
          this.note = 'The edited plan was not saved: fix what is marked and approve again.';
          void this.post();
          return;
        }
      }
      this.note = 'Approved: the run is starting.';
      void this.post();
      // approve() resolves when the run ends; the panel's job is done once it has started.
      void this.deps.service.approve(this.runId);
      this.deps.onApproved?.(this.runId);
      this.dispose();
    } finally {
      this.busy = false;
    }
  }

  /** The documents of the draft plan (architecture.md), with their absolute paths; none without a run folder. */
  private async documents(): Promise<Awaited<ReturnType<typeof planReviewDocuments>>> {
    const dir = this.deps.store.runDir(this.runId);
    return dir ? planReviewDocuments(this.draft, dir).catch(() => []) : [];
  }

  /**
   * Opens a document for editing, looked up by id among the plan's own (a webview never names a
   * path). Edits count once saved: the engine reads the file when the run starts.
   */
  private async openDocument(id: string): Promise<void> {
    const doc = (await this.documents()).find((d) => d.id === id);
    if (!doc) {
      this.note = `The plan has no document "${id}" to open.`;
      void this.post();
      return;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(doc.path), { preview: false, viewColumn: vscode.ViewColumn.Beside });
    if (!this.locked()) {
      this.note = `${doc.title}: save your edits before you approve; the run reads the saved file.`;
      void this.post();
    }
  }

  private async decline(): Promise<void> {
    const locked = this.locked();
    if (locked) {
      this.note = locked;
      void this.post();
      return;
    }
    await this.deps.service.decline(this.runId);
    this.dispose();
  }

  private async post(): Promise<void> {
    if (!this.host.isReady) return;
    const snapshot = this.deps.store.get(this.runId);
    if (!snapshot) {
      await this.host.post({ type: 'state', view: null, note: `Run ${this.runId} is no longer in the workspace.` });
      return;
    }
    const documents = (await this.documents()).map(({ id, title, path, note, outline, editLabel }) => ({ id, title, path, note, outline, editLabel }));
    if (this._isDisposed || !this.host.isReady) return;
    const view = buildPlanEditorView({
      snapshot, original: this.original, draft: this.draft, preview: this.preview, checking: this.checking,
      locked: this.locked(), note: this.note, models: modelsOf(snapshot, this.deps.models()), documents,
    });
    await this.host.post({ type: 'state', view, note: null });
  }

  /** The current draft (tests read it). */
  get draftPlan(): AnyPlan {
    return this.draft;
  }
}
