/**
 * A small hand-written stand-in for the 'vscode' module: just the classes and functions the glue
 * touches, with spies where tests need to see calls. Tests alias it with
 * `vi.mock('vscode', async () => await import('./vscode-stub'))` and reset it with `resetStub()`.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { vi } from 'vitest';

export class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  dispose(): void { this.fn(); }
}

export class EventEmitter<T> {
  private listeners = new Set<(e: T) => void>();
  readonly event = (listener: (e: T) => void): Disposable => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(e: T): void { for (const l of [...this.listeners]) l(e); }
  dispose(): void { this.listeners.clear(); }
}

export class Uri {
  private constructor(readonly scheme: string, readonly fsPath: string) {}
  static file(p: string): Uri { return new Uri('file', path.resolve(p)); }
  static joinPath(base: Uri, ...parts: string[]): Uri { return new Uri(base.scheme, path.join(base.fsPath, ...parts)); }
  static from(c: { scheme: string; path: string }): Uri { return new Uri(c.scheme, c.path); }
  get path(): string { return this.fsPath; }
  toString(): string { return `${this.scheme}://${this.fsPath}`; }
}

export class ThemeColor { constructor(readonly id: string) {} }
export class ThemeIcon {
  constructor(readonly id: string, readonly color?: ThemeColor) {}
}

/** Escapes like the real appendText: markdown punctuation gets a backslash. */
export class MarkdownString {
  value: string;
  constructor(value = '', readonly supportThemeIcons = false) { this.value = value; }
  appendText(text: string): this { this.value += text.replace(/[\\`*_{}[\]()#+\-.!<>|~]/g, '\\$&'); return this; }
  appendMarkdown(md: string): this { this.value += md; return this; }
}

export enum TreeItemCollapsibleState { None = 0, Collapsed = 1, Expanded = 2 }
export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: string | MarkdownString;
  iconPath?: ThemeIcon;
  contextValue?: string;
  resourceUri?: Uri;
  command?: { command: string; title: string; arguments?: unknown[] };
  constructor(public label: string, public collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None) {}
}

export class Position { constructor(readonly line: number, readonly character: number) {} }
export class Range { constructor(readonly start: Position, readonly end: Position) {} }

export class FileDecoration { constructor(readonly badge?: string, readonly tooltip?: string, readonly color?: ThemeColor) {} }
export class RelativePattern { constructor(readonly base: Uri, readonly pattern: string) {} }
export enum StatusBarAlignment { Left = 1, Right = 2 }
export enum ViewColumn { Active = -1, Beside = -2, One = 1, Two = 2 }

/**
 * A webview panel as the glue sees it: `receive` plays a message from the page, `posted` holds
 * what the host sent, `close` is the user closing the tab, `hide`/`show` switch it away and back.
 */
export function makePanel(viewType: string, title: string, show: unknown, options: unknown) {
  const received = new EventEmitter<unknown>();
  const disposed = new EventEmitter<void>();
  const viewState = new EventEmitter<void>();
  const posted: unknown[] = [];
  let open = true;
  const panel = {
    viewType, title, show, options, visible: true,
    webview: {
      options: {} as unknown, html: '', cspSource: 'vscode-resource:',
      asWebviewUri: (u: Uri) => u,
      onDidReceiveMessage: received.event,
      postMessage: vi.fn(async (m: unknown) => { posted.push(m); return true; }),
    },
    onDidDispose: disposed.event,
    onDidChangeViewState: viewState.event,
    reveal: vi.fn(),
    dispose: vi.fn(() => { if (open) { open = false; disposed.fire(); } }),
    posted,
    /** Plays a message from the page and lets async handlers run. */
    async receive(m: unknown) { received.fire(m); await new Promise((r) => setTimeout(r, 10)); },
    close() { panel.dispose(); },
    hide() { panel.visible = false; viewState.fire(); },
    get isOpen() { return open; },
  };
  return panel;
}
export type PanelStub = ReturnType<typeof makePanel>;
export enum ProgressLocation { SourceControl = 1, Window = 10, Notification = 15 }

const disposable = () => new Disposable();

export interface QuickPickStub {
  title: string; placeholder: string; items: unknown[]; activeItems: unknown[]; selectedItems: unknown[];
  matchOnDescription: boolean; matchOnDetail: boolean; ignoreFocusOut: boolean;
  onDidAccept: EventEmitter<void>['event']; onDidHide: EventEmitter<void>['event'];
  show(): void; hide(): void; dispose(): void;
}

/** workspaceState / globalState: an in-memory Memento. */
export function memento(initial: Record<string, unknown> = {}) {
  const data = new Map(Object.entries(initial));
  return { get: <T>(key: string): T | undefined => data.get(key) as T | undefined, update: vi.fn(async (key: string, value: unknown) => { data.set(key, value); }), keys: () => [...data.keys()] };
}

function makeWindow() {
  return {
    showInformationMessage: vi.fn(async (..._args: unknown[]): Promise<string | undefined> => undefined),
    showWarningMessage: vi.fn(async (..._args: unknown[]): Promise<string | undefined> => undefined),
    showErrorMessage: vi.fn(async (..._args: unknown[]): Promise<string | undefined> => undefined),
    showInputBox: vi.fn(async (_opts?: unknown): Promise<string | undefined> => undefined),
    showQuickPick: vi.fn(async (..._args: unknown[]): Promise<unknown> => undefined),
    showTextDocument: vi.fn(async (..._args: unknown[]) => undefined),
    /** What the user does with a quick pick made by createQuickPick: an item to accept, or undefined to dismiss. Default: accept the active item. */
    quickPickAnswer: (qp: QuickPickStub): unknown => qp.activeItems[0],
    createQuickPick: vi.fn(() => {
      const accept = new EventEmitter<void>();
      const hide = new EventEmitter<void>();
      const qp: QuickPickStub = {
        title: '', placeholder: '', items: [], activeItems: [], selectedItems: [],
        matchOnDescription: false, matchOnDetail: false, ignoreFocusOut: false,
        onDidAccept: accept.event, onDidHide: hide.event,
        show: vi.fn(() => queueMicrotask(() => {
          const pick = window.quickPickAnswer(qp);
          if (pick === undefined) { hide.fire(); return; }
          qp.selectedItems = [pick];
          accept.fire();
        })),
        hide: vi.fn(() => hide.fire()),
        dispose: vi.fn(),
      };
      return qp;
    }),
    withProgress: vi.fn(async (_o: unknown, task: (p: { report(): void }, t: { onCancellationRequested(): Disposable }) => unknown) =>
      task({ report: () => undefined }, { onCancellationRequested: disposable })),
    createOutputChannel: vi.fn((_name: string, _opts?: unknown) => ({
      lines: [] as string[],
      trace(m: string) { this.lines.push(`trace ${m}`); },
      info(m: string) { this.lines.push(`info ${m}`); },
      warn(m: string) { this.lines.push(`warn ${m}`); },
      error(m: string) { this.lines.push(`error ${m}`); },
      show: vi.fn(),
      dispose: vi.fn(),
    })),
    createTreeView: vi.fn((_id: string, _opts: unknown) => {
      const selection = new EventEmitter<{ selection: unknown[] }>();
      const visibility = new EventEmitter<{ visible: boolean }>();
      const view = {
        visible: false, reveal: vi.fn(async () => undefined), dispose: vi.fn(),
        onDidChangeSelection: selection.event, select: (...nodes: unknown[]) => selection.fire({ selection: nodes }),
        onDidChangeVisibility: visibility.event,
        /** Shows or hides the view as the user would, firing onDidChangeVisibility. */
        setVisible: (visible: boolean) => { view.visible = visible; visibility.fire({ visible }); },
      };
      return view;
    }),
    /** Transient status-bar messages: the text and how long, newest last. */
    setStatusBarMessage: vi.fn((_text: string, _ms?: number) => ({ dispose: vi.fn() })),
    createStatusBarItem: vi.fn(() => ({ text: '', tooltip: '', name: '', command: undefined, show: vi.fn(), hide: vi.fn(), dispose: vi.fn() })),
    registerWebviewViewProvider: vi.fn(disposable),
    /** Every panel created, in order. */
    panels: [] as PanelStub[],
    createWebviewPanel: vi.fn((viewType: string, title: string, show: unknown, options: unknown) => {
      const p = makePanel(viewType, title, show, options);
      window.panels.push(p);
      return p;
    }),
    registerFileDecorationProvider: vi.fn(disposable),
    /** Panel serializers by view type, so a test can bring a panel back as VS Code does after a reload. */
    serializers: new Map<string, { deserializeWebviewPanel(panel: PanelStub, state: unknown): Promise<void> }>(),
    registerWebviewPanelSerializer: vi.fn((viewType: string, s: { deserializeWebviewPanel(panel: PanelStub, state: unknown): Promise<void> }) => {
      window.serializers.set(viewType, s);
      return new Disposable(() => { if (window.serializers.get(viewType) === s) window.serializers.delete(viewType); });
    }),
  };
}

export const FileType = { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 } as const;

function makeWorkspace() {
  return {
    isTrusted: true,
    workspaceFolders: undefined as Array<{ uri: Uri }> | undefined,
    /** Open text documents (Ship saves its message editor before it commits). */
    textDocuments: [] as Array<{ uri: Uri; isDirty: boolean; save: () => Promise<boolean> }>,
    /** Test-controlled settings, keyed without the `orchestration.` prefix. */
    settings: {} as Record<string, unknown>,
    getConfiguration: vi.fn((_section?: string) => ({ get: <T>(key: string): T | undefined => workspace.settings[key] as T | undefined })),
    onDidChangeConfiguration: vi.fn(disposable),
    onDidChangeWorkspaceFolders: vi.fn(disposable),
    onDidSaveTextDocument: vi.fn(disposable),
    createFileSystemWatcher: vi.fn(() => ({ onDidCreate: disposable, onDidChange: disposable, onDidDelete: disposable, dispose: vi.fn() })),
    /** Content providers by scheme, so a test can ask one for a document. */
    providers: new Map<string, { provideTextDocumentContent(uri: Uri): unknown }>(),
    /** The real disk, as VS Code's file system reads it for a file: URI. */
    fs: {
      readDirectory: vi.fn(async (uri: Uri): Promise<Array<[string, number]>> => (await fsp.readdir(uri.fsPath, { withFileTypes: true }))
        .map((e) => [e.name, e.isDirectory() ? FileType.Directory : e.isSymbolicLink() ? FileType.SymbolicLink : FileType.File])),
    },
    registerTextDocumentContentProvider: vi.fn((scheme: string, provider: { provideTextDocumentContent(uri: Uri): unknown }) => {
      workspace.providers.set(scheme, provider);
      return new Disposable(() => workspace.providers.delete(scheme));
    }),
  };
}

function makeCommands() {
  return {
    registered: new Map<string, (...args: unknown[]) => unknown>(),
    registerCommand: vi.fn((id: string, fn: (...args: unknown[]) => unknown) => {
      commands.registered.set(id, fn);
      return new Disposable(() => commands.registered.delete(id));
    }),
    executeCommand: vi.fn(async (..._args: unknown[]) => undefined),
  };
}

/** What McpStdioServerDefinition holds, for tests to read. */
export class McpStdioServerDefinition {
  constructor(
    readonly label: string, public command: string, public args: string[] = [],
    public env: Record<string, string | number | null> = {}, public version?: string,
  ) {}
}

function makeLm() {
  return {
    mcpProviders: new Map<string, unknown>(),
    registerMcpServerDefinitionProvider: vi.fn((id: string, provider: unknown) => {
      lm.mcpProviders.set(id, provider);
      return new Disposable(() => lm.mcpProviders.delete(id));
    }),
  };
}

export const lm = makeLm();
export const window = makeWindow();
export const workspace = makeWorkspace();
export const commands = makeCommands();

/** Fresh spies and settings for the next test. */
export function resetStub(): void {
  Object.assign(window, makeWindow());
  Object.assign(workspace, makeWorkspace());
  lm.mcpProviders.clear();
  lm.registerMcpServerDefinitionProvider = makeLm().registerMcpServerDefinitionProvider;
  const fresh = makeCommands();
  commands.registered.clear();
  commands.registerCommand = fresh.registerCommand;
  commands.executeCommand = fresh.executeCommand;
}
