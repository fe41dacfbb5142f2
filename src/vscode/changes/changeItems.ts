/**
 * Tree items of a build run's proposed change: "Changes (N files, +a −d)" and one item per file,
 * which opens VS Code's diff editor (base ↔ proposed). Pure: a change set in, items out.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChangeSet, FileChange } from '../../engine';
import { plural } from '../../shared/words';

export const OPEN_CHANGE_DIFF_COMMAND = 'orchestration.openChangeDiff';

const sum = (files: readonly FileChange[], k: 'added' | 'removed'): number => files.reduce((n, f) => n + f[k], 0);

export function changesLabel(cs: ChangeSet): string {
  const n = cs.files.length;
  const what = `${plural(n, 'file')}, +${sum(cs.files, 'added')} −${sum(cs.files, 'removed')}`;
  if (cs.state === 'applied') return `Changes applied (${what})`;
  if (cs.state === 'discarded') return `Changes discarded (${what})`;
  return `Changes (${what})`;
}

export function changesItem(runId: string, cs: ChangeSet): vscode.TreeItem {
  const item = new vscode.TreeItem(changesLabel(cs), cs.files.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
  item.id = `${runId}/changes`;
  item.iconPath = new vscode.ThemeIcon(cs.state === 'applied' ? 'check-all' : cs.state === 'discarded' ? 'discard' : 'git-pull-request',
    cs.state === 'proposed' ? new vscode.ThemeColor('charts.blue') : undefined);
  item.contextValue = `changes.${cs.state}`;
  const md = new vscode.MarkdownString('', false);
  md.appendMarkdown(`**${changesLabel(cs)}** against commit \`${cs.base.slice(0, 12)}\`\n\n`);
  if (cs.state === 'proposed') md.appendMarkdown('Nothing has been written to your working tree. Click a file to see its diff; **Apply Changes** writes them (never commits), **Discard Changes** drops them.');
  if (cs.state === 'applied') md.appendMarkdown('Written to your working tree (not committed). The builders\' worktrees and branches are gone.');
  if (cs.state === 'discarded') md.appendMarkdown('Dropped: nothing was written to your working tree, and the worktrees and branches are gone.');
  if (cs.conflicts.length) md.appendMarkdown(`\n\nLeft out after a merge conflict: ${cs.conflicts.map((c) => c.agentId).join(', ')}.`);
  item.tooltip = md;
  return item;
}

const STATUS_ICON: Record<FileChange['status'], string> = { added: 'diff-added', modified: 'diff-modified', deleted: 'diff-removed', renamed: 'diff-renamed' };

export function changeFileItem(runId: string, cs: ChangeSet, file: FileChange): vscode.TreeItem {
  const item = new vscode.TreeItem(path.posix.basename(file.path), vscode.TreeItemCollapsibleState.None);
  item.id = `${runId}/changes/${file.path}`;
  const dir = path.posix.dirname(file.path);
  item.description = `${dir === '.' ? '' : `${dir} · `}${file.binary ? 'binary' : `+${file.added} −${file.removed}`}`;
  item.iconPath = new vscode.ThemeIcon(STATUS_ICON[file.status]);
  item.contextValue = `changeFile.${cs.state}`;
  item.tooltip = `${file.path}: ${file.status}${file.binary ? ' (binary)' : `, +${file.added} −${file.removed}`}`;
  item.command = { command: OPEN_CHANGE_DIFF_COMMAND, title: 'Open Diff', arguments: [runId, file.path] };
  return item;
}
