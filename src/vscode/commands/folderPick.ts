/**
 * Orchestrate Task on Folder from the palette (the Explorer's menu passes its folder): the
 * workspace's folders two levels down, to pick one. Hidden folders, node_modules and the output
 * root are left out; the engine checks the chosen focus like any other (ignored or secret
 * folders are refused there, with why).
 */
import * as vscode from 'vscode';

/** How deep the pick lists folders: `src`, `src/server`. Deeper ones are a Explorer right-click away. */
const DEPTH = 2;
/** Folders listed at most, so a huge monorepo's pick stays quick to open and to read. */
const MAX_FOLDERS = 500;
const SKIPPED = new Set(['node_modules']);

export async function foldersOf(workspace: vscode.Uri, outputRoot: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string, depth: number): Promise<void> => {
    if (depth > DEPTH || out.length >= MAX_FOLDERS) return;
    let entries: [string, vscode.FileType][];
    try {
      entries = await vscode.workspace.fs.readDirectory(rel ? vscode.Uri.joinPath(workspace, rel) : workspace);
    } catch {
      return;
    }
    const dirs = entries.filter(([name, type]) => type === vscode.FileType.Directory && !name.startsWith('.') && !SKIPPED.has(name))
      .map(([name]) => (rel ? `${rel}/${name}` : name))
      .filter((p) => p !== outputRoot)
      .sort((a, b) => a.localeCompare(b));
    for (const d of dirs) {
      if (out.length >= MAX_FOLDERS) return;
      out.push(d);
      await walk(d, depth + 1);
    }
  };
  await walk('', 1);
  return out;
}

/** Asks which folder of the workspace to orchestrate a task on; undefined when dismissed or there is none. */
export async function pickFolder(workspace: vscode.Uri, outputRoot: string): Promise<vscode.Uri | undefined> {
  const folders = await foldersOf(workspace, outputRoot);
  if (!folders.length) {
    void vscode.window.showInformationMessage('This workspace has no folder to orchestrate a task on; use Orchestrate Task for the whole workspace.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(folders.map((f) => ({ label: f })), {
    title: 'Orchestrate Task on Folder',
    placeHolder: 'Which folder? The plan and its agents stay inside it.',
    matchOnDescription: true,
  });
  return pick ? vscode.Uri.joinPath(workspace, pick.label) : undefined;
}
