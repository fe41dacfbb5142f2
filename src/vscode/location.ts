/** Where runs live: the first workspace folder and the `orchestration.outputRoot` setting. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { outputRootSetting } from './settings';

export class RunLocation {
  /** The workspace runs are planned against (the first folder of a multi-root workspace). */
  workspace(): string | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0];
    return folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
  }

  outputRoot(): string {
    return outputRootSetting();
  }

  /** Absolute directory holding every run, or undefined without a workspace. */
  runsDir(): string | undefined {
    const ws = this.workspace();
    return ws ? path.join(ws, this.outputRoot()) : undefined;
  }

  runDir(runId: string): string | undefined {
    const dir = this.runsDir();
    return dir ? path.join(dir, runId) : undefined;
  }
}
