/**
 * Keeps the store in step with runs it does not execute itself: the CLI, another window, or a
 * run folder deleted by hand. Watches `<outputRoot>/<runId>/ledger.json` and re-reads, debounced.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Debouncer } from '../debounce';
import { Disposable, toDisposable } from '../dispose';
import type { RunLocation } from '../location';
import type { RunStore } from './runStore';

export class RunWatcher extends Disposable {
  private watcher: vscode.FileSystemWatcher | undefined;
  private readonly refresh = this._register(new Debouncer(() => void this.store.refresh(), 500, 2000));

  constructor(private readonly store: RunStore, private readonly location: RunLocation) {
    super();
    this._register(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('orchestration.outputRoot')) this.watch();
    }));
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.watch()));
    // The watcher is replaced when the output root or the folders change; release whichever is current.
    this._register(toDisposable(() => { this.watcher?.dispose(); }));
    this.watch();
  }

  private watch(): void {
    this.watcher?.dispose();
    this.watcher = undefined;
    const ws = this.location.workspace();
    if (ws) {
      const pattern = new vscode.RelativePattern(vscode.Uri.file(ws), `${this.location.outputRoot()}/*/ledger.json`);
      this.watcher = vscode.workspace.createFileSystemWatcher(pattern);
      // Our own live runs rewrite their ledger every few hundred ms; the store already has them.
      const schedule = (uri: vscode.Uri) => {
        const runId = path.basename(path.dirname(uri.fsPath));
        if (!this.store.isLive(runId)) this.refresh.schedule();
      };
      this.watcher.onDidCreate(schedule);
      this.watcher.onDidChange(schedule);
      this.watcher.onDidDelete(schedule);
    }
    this.refresh.schedule();
  }
}
