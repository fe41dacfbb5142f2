/**
 * Parses the planner's workspace overview — an indented tree such as
 *
 *   src/ (12 files, 48 KB)
 *     engine/
 *     cli.ts 3.1 KB
 *   README.md 2 KB
 *
 * — back into nodes whose `path` is the workspace-relative path spelled as the overview spells it
 * (folders keep their trailing slash). It accepts what src/engine/workspace.ts renders (a header line,
 * `[collapsed]` marks, bracketed notes, full paths at the top of a focused overview) and tolerates
 * bullets or tree-drawing characters.
 */

export interface TreeNode {
  path: string;
  name: string;
  isDir: boolean;
  /** Files under a folder (from its "(N files …)" note, else those listed), 1 for a file. */
  weight: number;
  children: TreeNode[];
}

const SIZE = /\s+(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|bytes?)\s*$/i;

export function parseOverview(text: string): TreeNode[] {
  const roots: TreeNode[] = [];
  const stack: Array<{ indent: number; node: TreeNode }> = [];
  for (const rawLine of text.split('\n')) {
    if (!rawLine.trim()) continue;
    // Indentation is whatever precedes the name: spaces, tree-drawing characters or a bullet.
    const indent = /^[\s\u2502\u251c\u2514\u2500`*\u2022-]*/.exec(rawLine)![0].length;
    let line = rawLine.slice(indent).trim();
    // Header ("Workspace: 12 files, 48 KB", "Focus src: …"), notes ("[3 folders collapsed …]"), ellipses.
    if (!line || /^(?:\.\.\.|\u2026|\(|\[|\d+ more\b|(?:Workspace|Focus)\b[^:]*:)/i.test(line)) continue;
    line = line.replace(/\s+\[[^\]]*\]\s*$/, '');
    let declaredFiles: number | null = null;
    const note = /\s+\(([^)]*)\)\s*$/.exec(line);
    if (note) {
      const files = /(\d+)\s+files?/.exec(note[1]);
      if (files) declaredFiles = Number(files[1]);
      line = line.slice(0, note.index);
    }
    const isDir = line.endsWith('/');
    const name = isDir ? line : line.replace(SIZE, '');
    if (!name || name.includes('\t')) continue;
    while (stack.length && stack[stack.length - 1].indent >= indent) stack.pop();
    const parent = stack[stack.length - 1]?.node;
    const path = parent ? `${parent.path.endsWith('/') ? parent.path : `${parent.path}/`}${name.replace(/^\.\//, '')}` : name.replace(/^\.\//, '');
    const node: TreeNode = { path, name, isDir, weight: isDir ? declaredFiles ?? 0 : 1, children: [] };
    (parent ? parent.children : roots).push(node);
    if (isDir) stack.push({ indent, node });
  }
  for (const r of roots) settleWeights(r);
  return roots;
}

function settleWeights(node: TreeNode): number {
  if (!node.isDir) return node.weight;
  const listed = node.children.reduce((n, c) => n + settleWeights(c), 0);
  node.weight = Math.max(node.weight, listed, 1);
  return node.weight;
}
