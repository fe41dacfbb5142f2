/**
 * The run dashboard: one editor panel per run with the live timeline, spend and context pictures
 * (dashboardModel.ts builds what it shows). It follows the run through the store (the live
 * ledger, or the files another process writes) and events.jsonl, re-posting at most a few times a
 * second, and once a second while agents are in flight so running bars grow.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DashboardHostMessageSchema, DashboardWebviewMessageSchema, type DashboardHostMessage, type DashboardWebviewMessage,
} from '../../../shared/dashboardProtocol';
import type { HandlerMap } from '../../../shared/protocol';
import { existingFiles, integrationLog, readPipelineFiles } from './boardFiles';
import { buildDashboard, TransitionLog } from './dashboardModel';
import { Debouncer } from '../../debounce';
import { Disposable, toDisposable } from '../../dispose';
import { EventsTail } from '../../runs/eventsTail';
import { truncate } from '../../format';
import { SHOW_RUN_COMMAND } from '../../tree/treeItems';
import { resolveInsideRun } from '../paths';
import type { RunStore } from '../../runs/runStore';
import { OpenPanels, registerPanelRestorer, WebviewPanelHost, type PanelLog } from '../webviewPanel';

export const DASHBOARD_VIEW_TYPE = 'orchestration.dashboard';

export interface DashboardDeps {
  extensionUri: vscode.Uri;
  store: RunStore;
  log: PanelLog;
  /** Opens one agent's live view (a click on its bar or its card). */
  showAgent(runId: string, agentId: string): void | Promise<void>;
  /** Shows the run in the Summary view (default: the Show Run in Summary View command). */
  showSummary?(runId: string): void | Promise<void>;
  now?: () => number;
}

/** One dashboard per run: showing a run again reveals its panel instead of opening a second. */
export class DashboardPanels extends Disposable {
  private readonly panels = this._register(new OpenPanels<DashboardPanel>());

  constructor(private readonly deps: DashboardDeps) {
    super();
    this._register(registerPanelRestorer(DASHBOARD_VIEW_TYPE, 'run dashboard', deps.log, (panel, { runId }) => this.restore(panel, runId)));
  }

  show(runId: string): void {
    if (!this.panels.reveal(runId)) this.panels.add(runId, new DashboardPanel(runId, this.deps));
  }

  /**
   * Brings back a dashboard VS Code kept across a window reload, as live as one opened by command.
   * The runs are read first, so a run that still exists is not reported missing for a moment; a
   * run that is gone gets the panel's "no longer in the workspace" note.
   */
  async restore(panel: vscode.WebviewPanel, runId: string): Promise<void> {
    await this.deps.store.refresh();
    if (this._isDisposed) return;
    if (this.panels.has(runId)) {
      // Already open (opened by command while the reload restored): one panel per run.
      panel.dispose();
      this.panels.reveal(runId);
      return;
    }
    this.panels.add(runId, new DashboardPanel(runId, this.deps, panel));
  }

  /** Open dashboards (tests and the bench look). */
  get openRuns(): string[] {
    return this.panels.keys;
  }
}

const TICK_MS = 1000;
/** Chunks of events.jsonl read per refresh at most, so a huge finished log loads over a few refreshes. */
const CHUNKS_PER_REFRESH = 4;

export class DashboardPanel extends Disposable {
  private readonly host: WebviewPanelHost<DashboardHostMessage, DashboardWebviewMessage>;
  private readonly transitions = new TransitionLog();
  private readonly expanded = new Map<string, number>();
  private tail: EventsTail | undefined;
  private tailDir: string | undefined;
  private live = false;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private readonly post = this._register(new Debouncer(() => void this.refresh(), 150, 500));
  readonly onDidClose: vscode.Event<void>;

  private readonly handlers: HandlerMap<Exclude<DashboardWebviewMessage, { type: 'ready' }>> = {
    showAgent: ({ agentId }) => this.deps.showAgent(this.runId, agentId),
    openFile: ({ path: rel }) => this.openFile(rel),
    showSummary: async () => {
      if (this.deps.showSummary) await this.deps.showSummary(this.runId);
      else await vscode.commands.executeCommand(SHOW_RUN_COMMAND, this.runId);
    },
    fixFindings: () => { void vscode.commands.executeCommand('orchestration.fixFindings', this.runId); },
    shipToBranch: () => { void vscode.commands.executeCommand('orchestration.shipToBranch', this.runId); },
    expand: ({ laneId, expanded, page }) => {
      if (expanded) this.expanded.set(laneId, page);
      else this.expanded.delete(laneId);
      void this.refresh();
    },
  };

  /** `restored`: the panel VS Code brought back after a reload, adopted instead of opening a new one. */
  constructor(readonly runId: string, private readonly deps: DashboardDeps, restored?: vscode.WebviewPanel) {
    super();
    const task = deps.store.get(runId)?.task ?? runId;
    this.host = this._register(new WebviewPanelHost(deps.extensionUri, {
      viewType: DASHBOARD_VIEW_TYPE, title: `Dashboard: ${truncate(task, 40)}`, script: 'dashboard.js', styles: ['panels.css', 'common.css'],
      hostSchema: DashboardHostMessageSchema, webviewSchema: DashboardWebviewMessageSchema, restore: { runId }, panel: restored,
    }, this.handlers, () => void this.refresh(), deps.log));
    this.onDidClose = this.host.onDidDispose;
    this._register(this.host.onDidDispose(() => this.dispose()));
    this._register(deps.store.onDidChange(() => this.post.schedule()));
    this._register(deps.store.onDidEvent(({ runId: id, event }) => {
      if (id === this.runId && this.transitions.add(event)) this.post.schedule();
    }));
    const tick = setInterval(() => { if (this.live && this.host.isReady) this.post.schedule(); }, TICK_MS);
    this._register(toDisposable(() => clearInterval(tick)));
  }

  reveal(): void {
    this.host.reveal();
  }

  /** Builds and posts the current state; calls while one is in progress coalesce into one more. */
  private refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = this.postState().finally(() => {
      this.refreshing = undefined;
      if (this.again && !this._isDisposed) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.refreshing;
  }

  private async postState(): Promise<void> {
    if (!this.host.isReady) return;
    const { store } = this.deps;
    const snapshot = store.get(this.runId);
    const dir = store.runDir(this.runId);
    if (!snapshot || !dir) {
      this.live = false;
      await this.host.post({ type: 'state', view: null, note: `Run ${this.runId} is no longer in the workspace (deleted, or the output root changed).` });
      return;
    }
    await this.readEvents(dir);
    const plan = await store.plan(this.runId);
    const files = await readPipelineFiles(dir, snapshot);
    const written = await existingFiles(dir, [integrationLog(files)]);
    const view = buildDashboard(snapshot, plan, this.transitions, { now: (this.deps.now ?? Date.now)(), expanded: this.expanded, files, written });
    this.live = view.live;
    this.host.title = `Dashboard: ${truncate(snapshot.task, 40)}`;
    await this.host.post({ type: 'state', view, note: null });
  }

  /** Opens a file the dashboard linked to (an integration log), only if it resolves inside the run. */
  private async openFile(rel: string): Promise<void> {
    const dir = this.deps.store.runDir(this.runId);
    const target = dir ? await resolveInsideRun(dir, rel) : null;
    if (!target) {
      this.deps.log.warn(`Dashboard asked to open "${rel}" outside run ${this.runId}; refused.`);
      return;
    }
    try {
      await vscode.window.showTextDocument(vscode.Uri.file(target), { preview: true });
    } catch {
      void vscode.window.showInformationMessage(`${rel} does not exist yet.`);
    }
  }

  private async readEvents(dir: string): Promise<void> {
    if (!this.tail || this.tailDir !== dir) {
      this.tail = new EventsTail(path.join(dir, 'events.jsonl'));
      this.tailDir = dir;
    }
    const tail = this.tail;
    for (let i = 0; i < CHUNKS_PER_REFRESH; i++) {
      const { events, more } = await tail.read();
      for (const e of events) this.transitions.add(e);
      if (!more) return;
    }
    // More of the log is left: read it on the next refresh, soon.
    this.post.schedule();
  }
}
