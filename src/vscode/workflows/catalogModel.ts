/**
 * The workspace's workflows and the agent definitions found, as the Ledger's Workflows and Agents
 * nodes and Run Workflow show them. Read with the engine's own loaders (no model, no key: the
 * lists stay readable in Restricted Mode), read again when their files change (debounced), and
 * announced once per read. Views render what it holds; none reads the files itself.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { loadAgentDefinitions, loadWorkflows, type AgentCatalog, type Logger, type WorkflowCatalog } from '../../engine';
import { Debouncer } from '../debounce';
import { Disposable, toDisposable } from '../dispose';
import type { RunLocation } from '../location';

export interface Catalogs {
  /** The workspace folder they were read for (paths are shown relative to it). */
  workspace: string;
  workflows: WorkflowCatalog;
  agents: AgentCatalog;
}

/** Reads both catalogs of a workspace (the engine's loaders; tests pass their own). */
export type CatalogLoader = (workspace: string, outputRoot: string) => Promise<Omit<Catalogs, 'workspace'>>;

/** What the tree needs of the model. */
export interface CatalogSource {
  current(): Catalogs | undefined;
  readonly onDidChange: vscode.Event<void>;
}

/** Where the files live that the model watches, relative to the workspace (`outputRoot` in them) or the home folder. */
export const WATCHED_IN_WORKSPACE = (outputRoot: string): string[] => [`${outputRoot}/workflows/**`, `${outputRoot}/agents/**`, '.claude/agents/**'];
export const WATCHED_IN_HOME = ['.claude/agents/**'];

/**
 * How often the files are read again whatever the watchers say. A file written while VS Code's
 * watcher was still starting, or into a folder created in the same moment, is never reported
 * (seen in code-server); reading a few small folders this often costs nothing noticeable.
 */
export const CATALOG_REREAD_MS = 10_000;

export class CatalogModel extends Disposable implements CatalogSource {
  private catalogs: Catalogs | undefined;
  /** What the last announced read held, so a re-read that found nothing new announces nothing. */
  private shown: string | undefined;
  /** Reads may overlap (a save during a slow read): only the newest one's result is kept. */
  private generation = 0;
  private watchers: vscode.Disposable[] = [];
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  private readonly reread = this._register(new Debouncer(() => void this.load(), 250, 1000));

  /** Fires after a read that found the catalogs changed (the first read always). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly location: RunLocation,
    private readonly loader: CatalogLoader,
    private readonly log: Pick<Logger, 'error'>,
    /** The home folder whose `.claude/agents/` is watched; null watches none. */
    private readonly home: string | null = os.homedir(),
  ) {
    super();
    this._register(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('orchestration.outputRoot')) this.watch();
    }));
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.watch()));
    // The watchers are replaced when the output root or the folders change; release whichever are current.
    this._register(toDisposable(() => this.unwatch()));
    this.watch();
    const timer = setInterval(() => this.reread.schedule(), CATALOG_REREAD_MS);
    this._register(toDisposable(() => clearInterval(timer)));
  }

  /** The catalogs of the last read; undefined before the first one finished or without a folder. */
  current(): Catalogs | undefined {
    return this.catalogs;
  }

  /** Reads both catalogs now (a command wants what is on disk this moment) and announces them. */
  async load(): Promise<Catalogs | undefined> {
    const gen = ++this.generation;
    const ws = this.location.workspace();
    let next: Catalogs | undefined;
    if (ws) {
      try {
        next = { workspace: ws, ...(await this.loader(ws, this.location.outputRoot())) };
      } catch (err) {
        // The loaders report bad files in the catalog; a throw is a bug or an unreadable disk.
        this.log.error(`reading workflows and agent definitions: ${(err as Error).stack ?? String(err)}`);
        return this.catalogs;
      }
    }
    if (gen === this.generation && !this._isDisposed) {
      this.catalogs = next;
      const key = JSON.stringify(next ?? null);
      if (key !== this.shown) {
        this.shown = key;
        this.changed.fire();
      }
    }
    return next;
  }

  private watch(): void {
    this.unwatch();
    const ws = this.location.workspace();
    const places: Array<[string, string[]]> = [];
    if (ws) places.push([ws, WATCHED_IN_WORKSPACE(this.location.outputRoot())]);
    if (ws && this.home) places.push([this.home, WATCHED_IN_HOME]);
    for (const [base, patterns] of places) {
      for (const pattern of patterns) {
        const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(base), pattern));
        const schedule = (): void => this.reread.schedule();
        this.watchers.push(w, w.onDidCreate(schedule), w.onDidChange(schedule), w.onDidDelete(schedule));
      }
    }
    this.reread.schedule();
  }

  private unwatch(): void {
    for (const w of this.watchers.splice(0)) w.dispose();
  }
}

/**
 * The engine's loaders, as a plan made now reads them: the definitions first, so a workflow naming
 * an agent that does not exist is an error on its node. `home` is the user's (tests pass their own).
 */
export function engineCatalogs(home?: string | null): CatalogLoader {
  return async (workspace, outputRoot) => {
    const agents = await loadAgentDefinitions(workspace, { outputRoot, ...(home !== undefined ? { home } : {}) });
    const workflows = await loadWorkflows(workspace, { outputRoot, agents: agents.definitions });
    return { workflows, agents };
  };
}
