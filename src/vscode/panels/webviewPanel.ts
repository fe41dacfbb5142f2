/**
 * One editor-area webview panel with the house rules built in: the CSP shell with a fresh nonce,
 * resources only from dist/ and media/, a `ready` handshake before anything is posted (again after
 * VS Code re-creates a hidden panel's page), zod validation of every message both ways, and one
 * handler per message type. The agent view, the dashboard and the plan editor are each one of these.
 * A panel names what it shows (`restore`: a run, an agent); the page keeps that in its state, so
 * after a window reload VS Code hands the panel back to the restorer registered for its view type.
 */
import * as vscode from 'vscode';
import { z } from 'zod';
import { AgentIdSchema } from '../../shared/dashboardProtocol';
import { RunIdSchema, type HandlerMap } from '../../shared/protocol';
import { Disposable, toDisposable } from '../dispose';
import { contentSecurityPolicy, makeNonce, webviewShell } from './webviewHtml';

/** What a panel shows, kept by its page so a reload can bring the same panel back. */
export interface PanelIdentity { runId: string; agentId?: string }

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
  /** What the page keeps for a restore after a window reload. */
  restore?: PanelIdentity;
  /** A panel VS Code restored after a reload: adopted (page re-rendered, options set) instead of creating one. */
  panel?: vscode.WebviewPanel;
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
    const options = { enableScripts: true, localResourceRoots: [dist, media] };
    this.panel = spec.panel ?? vscode.window.createWebviewPanel(
      spec.viewType, spec.title,
      { viewColumn: spec.column ?? vscode.ViewColumn.Active, preserveFocus: spec.preserveFocus ?? false },
      options,
    );
    const webview = this.panel.webview;
    if (spec.panel) {
      webview.options = options;
      this.panel.title = spec.title;
    }
    const [style, ...extra] = spec.styles.map((s) => webview.asWebviewUri(vscode.Uri.joinPath(media, s)).toString());
    webview.html = webviewShell({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, spec.script)).toString(),
      styleUri: style,
      extraStyleUris: extra,
      title: spec.title,
      restore: spec.restore,
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

/**
 * A panel's saved page state, as VS Code hands it back after a reload. Untrusted: it may predate an
 * extension update or have been edited on disk, so only a well-formed run (and agent) id passes.
 */
export const PanelStateSchema = z.object({
  restore: z.object({ runId: RunIdSchema, agentId: AgentIdSchema.optional() }).strict(),
});

/** The identity in a restored panel's state, or why there is none. */
export function restoredIdentity(state: unknown): { ok: true; id: PanelIdentity } | { ok: false; error: string } {
  const parsed = PanelStateSchema.safeParse(state);
  if (parsed.success) return { ok: true, id: parsed.data.restore };
  return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || '(state)'}: ${i.message}`).join('; ') };
}

/**
 * Fills a restored panel that cannot be brought back with a plain page saying why and what to do
 * (no script: nothing to run), so the user never looks at a blank editor.
 */
export function showUnrestorable(panel: vscode.WebviewPanel, title: string, message: string): void {
  const esc = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  panel.webview.options = { enableScripts: false, localResourceRoots: [] };
  panel.title = title;
  const csp = contentSecurityPolicy({ cspSource: panel.webview.cspSource, nonce: makeNonce() });
  panel.webview.html = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="${esc(csp)}">`
    + `<title>${esc(title)}</title></head><body style="font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 16px 20px;">`
    + `<p id="unrestorable">${esc(message)}</p></body></html>`;
}

/**
 * Registers how panels of `viewType` come back after a window reload: the saved state is checked,
 * then `restore` adopts the panel (and makes it live) or says why it cannot.
 */
export function registerPanelRestorer(
  viewType: string, what: string, log: PanelLog,
  restore: (panel: vscode.WebviewPanel, id: PanelIdentity) => Promise<void>,
): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(viewType, {
    deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
      const id = restoredIdentity(state);
      if (!id.ok) {
        log.warn(`A ${what} could not be restored after the reload: its saved state is not readable (${id.error}).`);
        showUnrestorable(panel, `${what[0].toUpperCase()}${what.slice(1)}`, `This ${what} could not be restored after the reload: its saved state is not readable. Open it again from the Orchestration view.`);
        return;
      }
      try {
        await restore(panel, id.id);
      } catch (err) {
        log.error(`A ${what} for run ${id.id.runId} could not be restored: ${(err as Error).message}`);
        showUnrestorable(panel, `${what[0].toUpperCase()}${what.slice(1)}`, `This ${what} could not be restored: ${(err as Error).message}`);
      }
    },
  });
}
