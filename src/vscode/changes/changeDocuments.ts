/**
 * Read-only documents for the diff editor: `orchestration-change:/<side>/<runId>/<path>` is a file
 * of a build run's change as it was at the base commit (`base`) or as the builders left it
 * (`proposed`), read from git objects, never from a worktree a user could be editing.
 */
import * as vscode from 'vscode';
import { fileAt, readChangeSet, repoInfo } from '../../engine';
import { Disposable } from '../dispose';

export const CHANGE_SCHEME = 'orchestration-change';
export type Side = 'base' | 'proposed';

export function changeUri(side: Side, runId: string, repoPath: string): vscode.Uri {
  return vscode.Uri.from({ scheme: CHANGE_SCHEME, path: `/${side}/${runId}/${repoPath}` });
}

export function parseChangeUri(uri: vscode.Uri): { side: Side; runId: string; repoPath: string } | null {
  const m = /^\/(base|proposed)\/([^/]+)\/(.+)$/.exec(uri.path);
  return m ? { side: m[1] as Side, runId: m[2], repoPath: m[3] } : null;
}

export class ChangeDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  constructor(private readonly workspace: () => string | undefined, private readonly runDir: (runId: string) => string | undefined) {
    super();
    this._register(vscode.workspace.registerTextDocumentContentProvider(CHANGE_SCHEME, this));
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const parsed = parseChangeUri(uri);
    const ws = this.workspace();
    const dir = parsed ? this.runDir(parsed.runId) : undefined;
    if (!parsed || !ws || !dir) return '';
    try {
      const cs = await readChangeSet(dir);
      const ref = parsed.side === 'base' ? cs?.base : cs?.ref;
      if (!ref) return '';
      const repo = await repoInfo(ws);
      // A file the change adds has no base; one it deletes has no proposed side: both show as empty.
      return (await fileAt(repo.root, ref, parsed.repoPath)) ?? '';
    } catch (err) {
      // Shown in the editor itself: an empty side would look like "the file is empty".
      return `Could not read ${parsed.repoPath} (${parsed.side}) of run ${parsed.runId}: ${(err as Error).message}\n`;
    }
  }
}
