/**
 * How loudly the extension tells the user something: the one place the notification policy lives,
 * so every caller follows it.
 *
 * - A run's end is the one thing worth a toast: once per end, with at most two actions.
 * - VS Code cannot close a toast, so a toast is never replaced by another about the same run:
 *   while one is still open, later news about that run goes to the status bar.
 * - Confirmations that need no action ("Applied 3 files…") and interim news are transient
 *   status-bar messages, never toasts that sit over the editor.
 * - Errors stay errors; a refusal of what the user asked is a warning or an information toast,
 *   and the same text is not stacked while it is still open.
 * Progress is not here: it belongs in the status bar item and `withProgress` at the window.
 */
import * as vscode from 'vscode';
import { Disposable, toDisposable } from './dispose';

/** How long a confirmation stays in the status bar. */
export const CONFIRM_MS = 8_000;

export type Severity = 'info' | 'warning' | 'error';

export interface RunEnd {
  severity: Severity;
  text: string;
  /** At most two: a toast with more buttons than that is a dialog. */
  actions?: readonly [] | readonly [string] | readonly [string, string];
  /**
   * What tells this end from the run's next one (its end time): the same end reported twice
   * notifies once, a later end (after Resume or Retry) notifies again.
   */
  key: string;
}

export class Notices extends Disposable {
  /** Runs with a toast still open (not yet answered or closed). */
  private readonly openRuns = new Set<string>();
  /** `runId#key` of every end already notified. */
  private readonly ended = new Set<string>();
  /** Texts of refusals still open, so a repeated command does not stack the same toast. */
  private readonly openTexts = new Set<string>();
  private flash: vscode.Disposable | undefined;

  constructor() {
    super();
    this._register(toDisposable(() => { this.flash?.dispose(); this.flash = undefined; }));
  }

  /**
   * A run ended: one toast, unless this end was already told (undefined) or a toast about the run
   * is still open (then the news goes to the status bar). Resolves with the action chosen.
   */
  async runEnded(runId: string, end: RunEnd): Promise<string | undefined> {
    const key = `${runId}#${end.key}`;
    if (this.ended.has(key)) return undefined;
    this.ended.add(key);
    if (this.openRuns.has(runId)) {
      this.status(end.text);
      return undefined;
    }
    this.openRuns.add(runId);
    try {
      return await show(end.severity, end.text, [...(end.actions ?? [])].slice(0, 2));
    } finally {
      this.openRuns.delete(runId);
    }
  }

  /** A confirmation that needs no action, or interim news: the status bar for a few seconds, replacing the last one. */
  status(text: string, ms = CONFIRM_MS): void {
    this.flash?.dispose();
    this.flash = vscode.window.setStatusBarMessage(text, ms);
  }

  /** Something went wrong: an error toast, with actions such as Show Log. */
  error(text: string, ...actions: string[]): Promise<string | undefined> {
    return show('error', text, actions);
  }

  /** The command was refused or could not do what was asked: a warning toast, not stacked. */
  warn(text: string, ...actions: string[]): Promise<string | undefined> {
    return this.once('warning', text, actions);
  }

  /** An answer the user needs to read (why nothing happened): an information toast, not stacked. */
  info(text: string, ...actions: string[]): Promise<string | undefined> {
    return this.once('info', text, actions);
  }

  private async once(severity: Severity, text: string, actions: string[]): Promise<string | undefined> {
    if (this.openTexts.has(text)) return undefined;
    this.openTexts.add(text);
    try {
      return await show(severity, text, actions);
    } finally {
      this.openTexts.delete(text);
    }
  }
}

async function show(severity: Severity, text: string, actions: string[]): Promise<string | undefined> {
  switch (severity) {
    case 'error': return vscode.window.showErrorMessage(text, ...actions);
    case 'warning': return vscode.window.showWarningMessage(text, ...actions);
    case 'info': return vscode.window.showInformationMessage(text, ...actions);
  }
}
