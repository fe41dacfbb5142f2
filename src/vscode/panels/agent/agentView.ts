/**
 * The live agent view: one editor panel per agent with its header and its transcript as a
 * conversation. Entries of a run this window executes arrive through the TranscriptRelay and are
 * batched (EntryBatcher: one post per ~50 ms per view, text deltas merged); a run another process
 * executes is followed by tailing its transcript file. The whole transcript is posted only when the
 * page (re)loads.
 */
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import { parseTranscript, transcriptFile, type TranscriptEntry } from '../../../engine';
import { AgentHostMessageSchema, AgentWebviewMessageSchema, type AgentHeader, type AgentHostMessage, type AgentWebviewMessage } from '../../../shared/agentProtocol';
import type { HandlerMap } from '../../../shared/protocol';
import { agentHeader, entryKey, mergeLive, ShownTranscript } from './agentModel';
import { ASK_AGENT_COMMAND, RERUN_AGENT_COMMAND, STOP_AGENT_COMMAND } from '../../commands/agentCommands';
import { Debouncer } from '../../debounce';
import { Disposable, toDisposable } from '../../dispose';
import { JsonlTail } from '../../runs/eventsTail';
import { resolveInsideRun } from '../paths';
import type { RunStore } from '../../runs/runStore';
import { EntryBatcher } from './transcriptBatch';
import type { TranscriptRelay } from '../../runs/transcriptRelay';
import { OpenPanels, registerPanelRestorer, showUnrestorable, WebviewPanelHost, type PanelLog } from '../webviewPanel';

export const AGENT_VIEW_TYPE = 'orchestration.agent';
/** The transcript writer appends every 250 ms: a view opened mid-run reads the file after that. */
const WRITER_SETTLE_MS = 300;
/** How often a run another process executes is re-read while the agent works. */
const FOLLOW_MS = 1000;

export interface AgentViewDeps {
  extensionUri: vscode.Uri;
  store: RunStore;
  relay: TranscriptRelay;
  /** Whether this window executes the run (its entries come live through the relay). */
  isExecuting(runId: string): boolean;
  log: PanelLog;
  /** Test seams. */
  settleMs?: number;
  followMs?: number;
  batchMs?: number;
}

export class AgentPanels extends Disposable {
  private readonly panels = this._register(new OpenPanels<AgentPanel>());

  constructor(private readonly deps: AgentViewDeps) {
    super();
    this._register(registerPanelRestorer(AGENT_VIEW_TYPE, 'agent view', deps.log, (panel, id) => this.restore(panel, id.runId, id.agentId)));
  }

  /** Brings back an agent view VS Code kept across a window reload, live, once the runs are read. */
  async restore(panel: vscode.WebviewPanel, runId: string, agentId: string | undefined): Promise<void> {
    if (!agentId) {
      showUnrestorable(panel, 'Agent', `This agent view of run ${runId} does not say which agent it showed. Open the agent again from the Orchestration view.`);
      return;
    }
    await this.deps.store.refresh();
    if (this._isDisposed) return;
    const key = `${runId}/${agentId}`;
    if (this.panels.has(key)) {
      panel.dispose();
      this.panels.reveal(key);
      return;
    }
    // A run or agent that is gone still gets its panel: the view says so in place of a transcript.
    this.panels.add(key, new AgentPanel(runId, agentId, this.deps, panel));
  }

  show(runId: string, agentId: string): void {
    const key = `${runId}/${agentId}`;
    if (this.panels.reveal(key)) return;
    if (!this.deps.store.agent(runId, agentId)) {
      void vscode.window.showWarningMessage(`Run ${runId} has no agent ${agentId}.`);
      return;
    }
    this.panels.add(key, new AgentPanel(runId, agentId, this.deps));
  }

  get open(): string[] {
    return this.panels.keys;
  }
}

export class AgentPanel extends Disposable {
  private readonly host: WebviewPanelHost<AgentHostMessage, AgentWebviewMessage>;
  private readonly batcher: EntryBatcher;
  /** Everything shown so far (deltas joined), for a full reset when the page reloads. */
  private readonly shown = new ShownTranscript();
  /** Entries that arrived live while the file was being read. */
  private buffered: TranscriptEntry[] | null = [];
  private problem: string | null = null;
  private tail: JsonlTail;
  private lastHeader = '';
  private following = false;
  private readonly headerSoon = this._register(new Debouncer(() => void this.postHeader(), 200, 800));
  readonly onDidClose: vscode.Event<void>;

  private readonly handlers: HandlerMap<Exclude<AgentWebviewMessage, { type: 'ready' }>> = {
    stop: () => { void vscode.commands.executeCommand(STOP_AGENT_COMMAND, this.runId, this.agentId); },
    rerun: () => { void vscode.commands.executeCommand(RERUN_AGENT_COMMAND, this.runId, this.agentId); },
    ask: () => { void vscode.commands.executeCommand(ASK_AGENT_COMMAND, this.runId, this.agentId); },
    openOutput: () => this.openFile(this.deps.store.agent(this.runId, this.agentId)?.agent.outputFile ?? ''),
    openFile: ({ path: rel }) => this.openFile(rel),
  };

  constructor(readonly runId: string, readonly agentId: string, private readonly deps: AgentViewDeps, restored?: vscode.WebviewPanel) {
    super();
    this.host = this._register(new WebviewPanelHost(deps.extensionUri, {
      viewType: AGENT_VIEW_TYPE, title: `Agent ${agentId}`, script: 'agent.js', styles: ['panels.css'],
      hostSchema: AgentHostMessageSchema, webviewSchema: AgentWebviewMessageSchema, restore: { runId, agentId }, panel: restored,
    }, this.handlers, () => void this.postReset(), deps.log));
    this.onDidClose = this.host.onDidDispose;
    this._register(this.host.onDidDispose(() => this.dispose()));
    this.batcher = new EntryBatcher((entries) => void this.host.post({ type: 'append', header: this.freshHeader(), entries }), deps.batchMs);
    this._register(toDisposable(() => this.batcher.dispose()));
    this.tail = new JsonlTail(this.file());
    this._register(deps.relay.onDidTranscript(({ runId, agentId, entry }) => {
      if (runId === this.runId && agentId === this.agentId) this.onEntry(entry);
    }));
    this._register(deps.store.onDidChange(() => this.headerSoon.schedule()));
    const follow = setInterval(() => void this.follow(), deps.followMs ?? FOLLOW_MS);
    this._register(toDisposable(() => clearInterval(follow)));
    void this.load();
  }

  reveal(): void {
    this.host.reveal();
  }

  private file(): string {
    return transcriptFile(this.deps.store.runDir(this.runId) ?? '', this.agentId);
  }

  /** Reads the transcript file, then joins what streamed in meanwhile. */
  private async load(): Promise<void> {
    if (this.deps.isExecuting(this.runId)) await new Promise((r) => setTimeout(r, this.deps.settleMs ?? WRITER_SETTLE_MS));
    if (this._isDisposed) return;
    const fromFile = await this.readNew();
    const fileKeys = new Set(fromFile.map(entryKey));
    const live = mergeLive(fileKeys, this.buffered ?? []);
    this.buffered = null;
    for (const e of [...fromFile, ...live]) this.accept(e);
    this.batcher.clear();
    await this.postReset();
  }

  /** New complete entries of the transcript file since the last read (a corrupt line becomes `problem`). */
  private async readNew(): Promise<TranscriptEntry[]> {
    const lines: string[] = [];
    for (;;) {
      const chunk = await this.tail.read();
      lines.push(...chunk.lines);
      if (!chunk.more) break;
    }
    if (!lines.length) return [];
    const { entries, problem } = parseTranscript(`${lines.join('\n')}\n`);
    if (problem) this.problem = this.problem ? `${this.problem}; ${problem}` : problem;
    return entries;
  }

  private onEntry(entry: TranscriptEntry): void {
    if (this.buffered) {
      this.buffered.push(entry);
      return;
    }
    this.accept(entry);
  }

  /** Shows an entry once: live and file copies of the same written entry count once. */
  private accept(entry: TranscriptEntry): void {
    const view = this.shown.accept(entry);
    if (view && !this.buffered) this.batcher.push(view);
  }

  /**
   * Follows a run another process executes: re-reads the file's new lines while the run runs
   * there. A run this window executes needs no reading (its entries come live).
   */
  private async follow(): Promise<void> {
    const status = this.deps.store.agent(this.runId, this.agentId)?.run.status;
    const here = this.deps.isExecuting(this.runId);
    const elsewhere = !here && (status === 'running' || status === 'planning');
    if (elsewhere !== this.following) {
      this.following = elsewhere;
      this.headerSoon.schedule();
    }
    if (!elsewhere || this.buffered) return;
    for (const e of await this.readNew()) this.accept(e);
  }

  private header(): AgentHeader | null {
    const found = this.deps.store.agent(this.runId, this.agentId);
    if (!found) return null;
    const { run, agent } = found;
    return agentHeader(run, agent, { executingHere: this.deps.isExecuting(this.runId), following: this.following, written: agent.startedAt !== null });
  }

  /** The header when it changed since the last post, else null (appends carry it only then). */
  private freshHeader(): AgentHeader | null {
    const h = this.header();
    const json = JSON.stringify(h);
    if (json === this.lastHeader) return null;
    this.lastHeader = json;
    if (h) this.host.title = `Agent ${this.agentId}: ${h.status}`;
    return h;
  }

  private async postHeader(): Promise<void> {
    const header = this.freshHeader();
    if (header) await this.host.post({ type: 'append', header, entries: [] });
  }

  private async postReset(): Promise<void> {
    const header = this.header();
    if (!header) {
      await this.host.post({ type: 'gone', note: `Run ${this.runId} or its agent ${this.agentId} is no longer in the workspace.` });
      return;
    }
    this.lastHeader = JSON.stringify(header);
    // Whatever waits in the batcher is already in `shown`: posting it again would show it twice.
    this.batcher.clear();
    this.host.title = `Agent ${this.agentId}: ${header.status}`;
    await this.host.post({ type: 'reset', header, entries: this.shown.entries, problem: this.problem, loading: this.buffered !== null });
  }

  /** Opens a run file the view names, only if it resolves inside the run's folder. */
  private async openFile(rel: string): Promise<void> {
    const dir = this.deps.store.runDir(this.runId);
    const target = dir && rel ? await resolveInsideRun(dir, rel) : null;
    if (!target) {
      void vscode.window.showWarningMessage(`Refused to open "${rel}": only files inside the run's folder open from the agent view.`);
      return;
    }
    const exists = await fs.stat(target).then((st) => st.isFile(), () => false);
    if (!exists) {
      void vscode.window.showInformationMessage(`${rel} does not exist yet.`);
      return;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(target), { preview: true });
  }
}
