/**
 * One editor-area webview panel with the house rules built in: the CSP shell with a fresh nonce,
 * resources only from dist/ and media/, a `ready` handshake before anything is posted (again after
 * VS Code re-creates a hidden panel's page), zod validation of every message both ways, and one
 * handler per message type. The agent view, the dashboard and the plan editor are each one of these.
 */
import * as vscode from 'vscode';
import type { z } from 'zod';
import type { HandlerMap } from '../shared/protocol';
import { Disposable, toDisposable } from './dispose';
import { makeNonce, webviewShell } from './webviewHtml';

export interface PanelSpec<H, W> {
  viewType: string;
  title: string;
  /** The bundle under dist/, e.g. `dashboard.js`. */
  script: string;
  /** Stylesheets under media/. */
  styles: string[];
  hostSchema: z.ZodType<H>;
  webviewSchema: z.ZodType<W>;
  /** Where the panel opens; the plan editor opens beside what the user was looking at. */
  column?: vscode.ViewColumn;
  preserveFocus?: boolean;
}

type Ready = { type: 'ready' };

export interface PanelLog { warn(msg: string): void; error(msg: string): void }

export class WebviewPanelHost<H extends { type: string }, W extends { type: string }> extends Disposable {
  readonly panel: vscode.WebviewPanel;
  private ready = false;
  private readonly disposed = this._register(new vscode.EventEmitter<void>());
  /** Fires once when the user closes the panel (or it is disposed). */
  readonly onDidDispose = this.disposed.event;

  constructor(
    extensionUri: vscode.Uri,
    private readonly spec: PanelSpec<H, W>,
    handlers: HandlerMap<Exclude<W, Ready>>,
    /** Called on every `ready`: the page is new, so the owner posts its whole state. */
    onReady: () => void,
    private readonly log: PanelLog,
  ) {
    super();
    const dist = vscode.Uri.joinPath(extensionUri, 'dist');
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    this.panel = vscode.window.createWebviewPanel(
      spec.viewType, spec.title,
      { viewColumn: spec.column ?? vscode.ViewColumn.Active, preserveFocus: spec.preserveFocus ?? false },
      { enableScripts: true, localResourceRoots: [dist, media] },
    );
    const webview = this.panel.webview;
    const [style, ...extra] = spec.styles.map((s) => webview.asWebviewUri(vscode.Uri.joinPath(media, s)).toString());
    webview.html = webviewShell({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, spec.script)).toString(),
      styleUri: style,
      extraStyleUris: extra,
      title: spec.title,
    });
    this._register(webview.onDidReceiveMessage(async (raw: unknown) => {
      const parsed = spec.webviewSchema.safeParse(raw);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`);
        this.log.warn(`${spec.title}: rejected message: ${issues.join('; ')}`);
        return;
      }
      const msg = parsed.data;
      if (msg.type === 'ready') {
        this.ready = true;
        onReady();
        return;
      }
      const handler = handlers[msg.type as Exclude<W, Ready>['type']] as (m: W) => void | Promise<void>;
      try {
        await handler(msg);
      } catch (err) {
        this.log.error(`${spec.title}: ${(err as Error).message}`);
      }
    }));
    // A hidden panel's page is thrown away (no retainContextWhenHidden): nothing posted until it says ready again.
    this._register(this.panel.onDidChangeViewState(() => { if (!this.panel.visible) this.ready = false; }));
    this._register(this.panel.onDidDispose(() => {
      this.ready = false;
      this.disposed.fire();
      this.dispose();
    }));
  }

  /** The page is loaded and listening: posts will arrive. */
  get isReady(): boolean {
    return this.ready && !this._isDisposed;
  }

  set title(title: string) {
    if (!this._isDisposed) this.panel.title = title;
  }

  reveal(): void {
    if (!this._isDisposed) this.panel.reveal(undefined, false);
  }

  /**
   * Validates and posts `msg` once the page is ready; false when it was not posted. Validated on
   * the way out too: state built from files a model wrote should fail here, visibly, not in the DOM.
   */
  async post(msg: H): Promise<boolean> {
    if (!this.isReady) return false;
    const checked = this.spec.hostSchema.safeParse(msg);
    if (!checked.success) {
      this.log.warn(`${this.spec.title}: a ${msg.type} message did not validate: ${checked.error.message}`);
      return false;
    }
    return this.panel.webview.postMessage(checked.data);
  }

  override dispose(): void {
    if (this._isDisposed) return;
    super.dispose();
    this.panel.dispose();
  }
}

/** A panel an `OpenPanels` keeps: revealed when asked for again, forgotten once closed. */
export interface KeptPanel extends vscode.Disposable {
  readonly onDidClose: vscode.Event<void>;
  reveal(): void;
}

/**
 * The open panels of one kind, one per key (a run, or a run's agent): asking for a key again
 * reveals its panel instead of opening a second. Disposing it closes them all.
 */
export class OpenPanels<P extends KeptPanel> extends Disposable {
  private readonly panels = new Map<string, P>();

  constructor() {
    super();
    this._register(toDisposable(() => {
      for (const p of this.panels.values()) p.dispose();
      this.panels.clear();
    }));
  }

  /** Reveals the panel open for `key`; false when there is none. */
  reveal(key: string): boolean {
    const panel = this.panels.get(key);
    panel?.reveal();
    return panel !== undefined;
  }

  has(key: string): boolean {
    return this.panels.has(key);
  }

  add(key: string, panel: P): void {
    this.panels.set(key, panel);
    panel.onDidClose(() => { if (this.panels.get(key) === panel) this.panels.delete(key); });
  }

  get keys(): string[] {
    return [...this.panels.keys()];
  }
}
