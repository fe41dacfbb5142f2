/**
 * What the planner sees of the workspace: a compact tree of names and sizes (never contents), and
 * the existence check for plan scopes. Both go through the path guard in pathGuard.ts, so the planner is
 * never shown, and a worker never scoped to, anything a worker could not read.
 */
import { existsSync, statSync } from 'node:fs';
import { ignoreRulesOf, type IgnoreOptions } from '../tools/ignoreRules';
import { checkPathSync, guardPathSync, type GuardContext } from '../tools/pathGuard';
import { formatBytes, newScanState, Slicer, walkAllowed } from '../tools/walk';

export interface OverviewOptions extends IgnoreOptions {
  /** Workspace-relative output root; it and everything under it are left out. */
  outputRoot: string;
  /** Most lines of tree to show (default 400); larger folders are collapsed to one line. */
  maxEntries?: number;
  /** Workspace-relative folders (or files) to restrict the overview to. */
  focus?: string[];
}

/** Entries one overview may visit, so a monorepo cannot stall planning. */
const OVERVIEW_SCAN_LIMIT = 200_000;

interface TreeNode {
  name: string;
  rel: string;
  isDir: boolean;
  isLink: boolean;
  /** A file's size, or a folder's total over the files below it. */
  size: number;
  /** Files below a folder, recursively. */
  files: number;
  children: TreeNode[];
}

function node(rel: string, isDir: boolean, isLink: boolean, size: number): TreeNode {
  return { name: rel.slice(rel.lastIndexOf('/') + 1), rel, isDir, isLink, size, files: isDir ? 0 : 1, children: [] };
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

/** Folders first, then files, each in code-point order: the same tree always renders the same. */
function displayOrder(a: TreeNode, b: TreeNode): number {
  if (a.isDir !== b.isDir) return a.isDir ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

async function total(n: TreeNode, slicer: Slicer): Promise<void> {
  await slicer.pause();
  for (const c of n.children) {
    if (c.isDir) await total(c, slicer);
    if (n.isDir) {
      n.files += c.files;
      n.size += c.size;
    }
  }
  n.children.sort(displayOrder);
}

/**
 * A compact, deterministic tree of the workspace (or of the `focus` folders) with file sizes and
 * per-folder totals, e.g. `src/ (12 files, 48 KB)` then `  cli.ts 3.1 KB`. Refused paths (.git,
 * node_modules, the output root, secrets, anything outside) are left out silently. Folders are
 * opened breadth first while their children fit in `maxEntries` lines, so deep or large folders are
 * the ones collapsed; a note says how many were.
 */
export async function workspaceOverview(workspace: string, opts: OverviewOptions): Promise<string> {
  const ctx: GuardContext = { workspace, outputRoot: opts.outputRoot, includeIgnored: opts.includeIgnored, exclude: opts.exclude, secretFiles: opts.secretFiles };
  const maxEntries = Math.max(1, Math.floor(opts.maxEntries ?? 400));
  const state = newScanState(OVERVIEW_SCAN_LIMIT);
  const notes: string[] = [];
  const focus = opts.focus?.length ? focusRoots(opts.focus) : null;

  const top = node('', true, false, 0);
  const shownFocus: string[] = [];
  for (const start of focus ?? ['.']) {
    try {
      const guarded = checkPathSync(ctx, start);
      const st = guarded.stat;
      if (!st) {
        notes.push(`[focus ${start} does not exist]`);
        continue;
      }
      shownFocus.push(guarded.rel || '.');
      if (!st.isDirectory()) {
        top.children.push(node(guarded.rel, false, false, st.size));
        continue;
      }
      const root = guarded.rel === '' ? top : node(guarded.rel, true, false, 0);
      if (root !== top) top.children.push(root);
      const byRel = new Map<string, TreeNode>([[root.rel, root]]);
      for await (const e of walkAllowed(ctx, start, { state })) {
        const n = node(e.rel, e.isDir, e.isLink, e.size);
        byRel.get(parentOf(e.rel))?.children.push(n);
        if (e.isDir && !e.isLink) byRel.set(e.rel, n);
      }
    } catch (err) {
      notes.push(`[focus ${start} skipped: ${(err as Error).message}]`);
    }
  }
  await total(top, new Slicer());

  const lines: string[] = [];
  const shownTop = top.children.slice(0, maxEntries);
  const omitted = top.children.length - shownTop.length;
  const expanded = new Set<TreeNode>();
  let collapsed = 0;
  let used = shownTop.length;
  // Breadth first: shallow folders are opened before deep ones; a folder whose children do not
  // fit stays one line, but smaller folders after it may still open.
  const queue = shownTop.filter((n) => n.isDir);
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i];
    if (n.isLink || n.children.length === 0) continue;
    if (used + n.children.length > maxEntries) {
      collapsed++;
      continue;
    }
    expanded.add(n);
    used += n.children.length;
    queue.push(...n.children.filter((c) => c.isDir));
  }
  const render = (n: TreeNode, depth: number, label: string): void => {
    const indent = '  '.repeat(depth);
    if (!n.isDir) {
      lines.push(`${indent}${label} ${formatBytes(n.size)}`);
      return;
    }
    const summary = n.isLink ? '(symlink)' : n.files === 0 ? '(empty)' : `(${n.files} file${n.files === 1 ? '' : 's'}, ${formatBytes(n.size)})`;
    const closed = !expanded.has(n) && n.children.length > 0 ? ' [collapsed]' : '';
    lines.push(`${indent}${label}/ ${summary}${closed}`);
    if (expanded.has(n)) for (const c of n.children) render(c, depth + 1, c.name);
  };
  for (const n of shownTop) render(n, 0, focus ? n.rel : n.name);

  const header = `${focus ? `Focus ${shownFocus.join(', ') || '(none)'}: ` : 'Workspace: '}${top.files} file${top.files === 1 ? '' : 's'}, ${formatBytes(top.size)}`;
  if (lines.length === 0) lines.push('(no files that can be read)');
  if (omitted > 0) notes.push(`[${omitted} more top-level entries omitted to stay within ${maxEntries} entries]`);
  if (collapsed > 0) notes.push(`[${collapsed} folder${collapsed === 1 ? '' : 's'} collapsed to stay within ${maxEntries} entries]`);
  if (state.stopped) notes.push(`[scan stopped after ${state.scanned} entries; totals are partial]`);
  return [header, ...lines, ...notes].join('\n');
}

/** Sorted, without duplicates or folders already inside another focus folder. */
function focusRoots(focus: string[]): string[] {
  const norm = [...new Set(focus.map((f) => f.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '') || '.'))].sort();
  return norm.filter((f) => !norm.some((o) => o !== f && (o === '.' || f.startsWith(`${o}/`))));
}

/**
 * The plan validator's scope check: true only for a path that exists and that the worker tools
 * would read (inside the workspace, not a secret, not in .git/, node_modules/ or the output root,
 * not hidden by the ignore rules). Synchronous because plan validation is: a few stats and small
 * `.gitignore` reads along each path, cached across the scopes of one plan.
 */
export function scopeExistsSync(workspace: string, outputRoot: string, ignore: IgnoreOptions = {}): (p: string) => boolean {
  const ctx: GuardContext = { workspace, outputRoot, ...ignore };
  const rules = ignoreRulesOf(ctx);
  return (p) => {
    if (typeof p !== 'string' || p.trim() === '') return false;
    try {
      const g = guardPathSync(ctx, p);
      if (!existsSync(g.abs)) return false;
      return rules.empty || rules.reasonForPathSync(g.rel, statSync(g.abs).isDirectory()) === null;
    } catch {
      return false;
    }
  };
}
