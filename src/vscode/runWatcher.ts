/**
 * Keeps the store in step with runs it does not execute itself: the CLI, another window, or a
 * run folder deleted by hand. Watches `<outputRoot>/<runId>/ledger.json` and re-reads, debounced.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Debouncer } from './debounce';
import type { RunLocation } from './location';
import type { RunStore } from './runStore';

export class RunWatcher implements vscode.Disposable {
  private watcher: vscode.FileSystemWatcher | undefined;
  private readonly refresh = new Debouncer(() => void this.store.refresh(), 500, 2000);
  private readonly disposables: vscode.Disposable[];
  private disposed = false;

  constructor(private readonly store: RunStore, private readonly location: RunLocation) {
    this.disposables = [
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('orchestration.outputRoot')) this.watch();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.watch()),
    ];
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

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.refresh.dispose();
    this.watcher?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
