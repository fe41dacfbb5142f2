/**
 * The Anthropic API key: SecretStorage first, `ANTHROPIC_API_KEY` as the fallback. The key is
 * only ever handed to the provider; it never reaches settings, logs or the webview.
 */
import * as vscode from 'vscode';
import { Disposable } from './dispose';
import type { Notices } from './notices';

const SECRET_KEY = 'orchestration.anthropicApiKey';

export type KeySource = 'secret-storage' | 'environment';

export class ApiKeyStore extends Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<void>());

  readonly onDidChange = this.changed.event;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** Where the confirmations go (a status-bar message: they need no action). */
    private readonly notices?: Pick<Notices, 'status'>,
  ) {
    super();
    this._register(secrets.onDidChange((e) => { if (e.key === SECRET_KEY) this.changed.fire(); }));
  }

  async get(): Promise<{ key: string; source: KeySource } | undefined> {
    const stored = await this.secrets.get(SECRET_KEY);
    if (stored) return { key: stored, source: 'secret-storage' };
    const fromEnv = this.env.ANTHROPIC_API_KEY?.trim();
    return fromEnv ? { key: fromEnv, source: 'environment' } : undefined;
  }

  /** Asks for a key with a password box; true when one was stored. */
  async prompt(): Promise<boolean> {
    const key = await vscode.window.showInputBox({
      title: 'Anthropic API Key',
      prompt: 'Stored in VS Code\'s SecretStorage (the OS keychain where available), never in settings.',
      placeHolder: 'sk-ant-…',
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (!v.trim() ? 'Paste a key, or press Escape to cancel'
        : /\s/.test(v.trim()) ? 'A key has no spaces or line breaks' : undefined),
    });
    if (!key?.trim()) return false;
    await this.secrets.store(SECRET_KEY, key.trim());
    this.notices?.status('Anthropic API key stored in SecretStorage.');
    return true;
  }

  async clear(): Promise<void> {
    await this.secrets.delete(SECRET_KEY);
    const envNote = this.env.ANTHROPIC_API_KEY ? ' ANTHROPIC_API_KEY from the environment is still used.' : '';
    this.notices?.status(`Anthropic API key removed from SecretStorage.${envNote}`);
  }
}
