/**
 * The guarded folder walk shared by `list_files`, `search` and the planner's workspace overview,
 * and the byte formatting they show. Every entry passes the same rules as the path guard, the
 * ignore rules and the agent's focus, so a walk never yields anything a tool could not read.
 *
 * Asynchronous throughout (the platform's `fs.promises.readdir` and `stat`), and it hands the event
 * loop back at least every `SLICE_MS` of synchronous work, counting the caller's work between
 * entries too: in VS Code the extension host is shared by every extension.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ignoreRulesOf, type IgnoreRules } from './ignoreRules';
import { aboveFocus, checkPathSync, focusOf, insideFocus, outputRootRel, refusalReason, type GuardContext } from './pathGuard';

/** Directory entries one list or search may visit, so a giant tree cannot stall an agent. */
const DEFAULT_SCAN_LIMIT = 100_000;
/** Longest run of synchronous work between two turns of the event loop. */
const SLICE_MS = 8;

/** One entry yielded by `walkAllowed`. */
export interface WalkEntry {
  /** Workspace-relative, posix separators. */
  rel: string;
  /** Absolute path to open (a symlink's real target). */
  abs: string;
  isDir: boolean;
  /** Bytes for files, 0 for folders (and -1 for files when the walk was asked for no sizes). */
  size: number;
  /** A symlink to an allowed folder: listed, never descended into (so no cycles). */
  isLink: boolean;
}

/** Shared by one walk so a caller can tell the user the scan was cut short. */
export interface ScanState { scanned: number; limit: number; stopped: boolean }

/** A fresh budget for one walk: `limit` directory entries before it stops. */
export function newScanState(limit = DEFAULT_SCAN_LIMIT): ScanState {
  return { scanned: 0, limit, stopped: false };
}

/** Gives the event loop a turn once `SLICE_MS` have passed since the last one. */
export class Slicer {
  private since = performance.now();

  async pause(): Promise<void> {
    if (performance.now() - this.since < SLICE_MS) return;
    await nextTurn();
    this.since = performance.now();
  }
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export interface WalkOptions {
  /** 1 lists only direct children. */
  maxDepth?: number;
  state?: ScanState;
  /** False skips the stat of every file (sizes come back as -1), for callers that open the files anyway. */
  sizes?: boolean;
}

/**
 * Every allowed entry below `start` (guarded first; a refusal throws), depth first in code-point
 * name order, so output is deterministic. Refused, ignored and out-of-focus entries are skipped
 * silently; a start above the focus walks only the way down to it.
 */
export async function* walkAllowed(ctx: GuardContext, start: string, opts: WalkOptions = {}): AsyncGenerator<WalkEntry> {
  const root = checkPathSync(ctx, start, { aboveFocusOk: true });
  const rules = ignoreRulesOf(ctx);
  const walk: Walk = {
    ctx, rules, outputRoot: outputRootRel(ctx), state: opts.state ?? newScanState(), focus: focusOf(ctx),
    sizes: opts.sizes !== false, slicer: new Slicer(),
  };
  // The rules of every folder above the start apply below it too.
  if (!rules.empty) {
    const parts = root.rel ? root.rel.split('/') : [];
    for (let i = 0; i < parts.length; i++) await rules.loadDir(parts.slice(0, i).join('/'));
  }
  yield* walkDir(walk, root.abs, root.rel, opts.maxDepth ?? Infinity);
}

interface Walk {
  ctx: GuardContext;
  rules: IgnoreRules;
  outputRoot: string | null;
  state: ScanState;
  focus: string[];
  sizes: boolean;
  slicer: Slicer;
}

async function* walkDir(walk: Walk, dirAbs: string, dirRel: string, depth: number): AsyncGenerator<WalkEntry> {
  const { ctx, state, rules, focus } = walk;
  let dirents;
  try {
    dirents = await fsp.readdir(dirAbs, { withFileTypes: true });
  } catch {
    return;
  }
  dirents.sort(byName);
  if (!rules.empty) await rules.loadDir(dirRel, dirents.some((d) => d.name === '.gitignore' && !d.isDirectory()));
  const kept: Array<{ rel: string; abs: string; kind: 'dir' | 'file' | 'link' }> = [];
  for (const d of dirents) {
    if (state.scanned >= state.limit) {
      state.stopped = true;
      break;
    }
    state.scanned++;
    if (state.scanned % 256 === 0) await walk.slicer.pause();
    const rel = dirRel ? `${dirRel}/${d.name}` : d.name;
    const kind = d.isSymbolicLink() ? 'link' : d.isDirectory() ? 'dir' : d.isFile() ? 'file' : null;
    // File-name rules describe files, not folders; a link is judged whole by where it leads (linkEntry).
    if (refusalReason(rel, walk.outputRoot, { secretFiles: ctx.secretFiles, isDir: kind === 'dir' || kind === 'link' }) !== null) continue;
    // Sockets, FIFOs and devices are skipped: reading a FIFO would block forever.
    if (kind === null) continue;
    if (focus.length && !insideFocus(focus, rel) && !(kind !== 'file' && aboveFocus(focus, rel))) continue;
    if (!rules.empty && kind !== 'link' && rules.reasonFor(rel, kind === 'dir') !== null) continue;
    kept.push({ rel, abs: path.join(dirAbs, d.name), kind });
  }
  // The files' sizes in one batch: the stats run side by side on libuv's thread pool.
  const sizes = walk.sizes
    ? await Promise.all(kept.map((e) => (e.kind === 'file' ? fsp.stat(e.abs).then((s) => s.size, () => null) : Promise.resolve(0))))
    : null;
  for (const [i, e] of kept.entries()) {
    await walk.slicer.pause();
    if (e.kind === 'dir') {
      yield { rel: e.rel, abs: e.abs, isDir: true, size: 0, isLink: false };
      if (depth > 1 && !(state.stopped && state.scanned >= state.limit)) yield* walkDir(walk, e.abs, e.rel, depth - 1);
    } else if (e.kind === 'file') {
      const size = sizes ? sizes[i] : -1;
      if (size !== null && size !== undefined) yield { rel: e.rel, abs: e.abs, isDir: false, size, isLink: false };
    } else {
      const link = await linkEntry(ctx, e.rel);
      if (link) yield link;
    }
  }
}

/** A symlink judged by where it leads, with the ignore rules and focus applied to both ends. */
async function linkEntry(ctx: GuardContext, rel: string): Promise<WalkEntry | null> {
  let target;
  try {
    target = checkPathSync(ctx, rel);
  } catch {
    return null;
  }
  if (target.stat?.isDirectory()) return { rel, abs: target.abs, isDir: true, size: 0, isLink: true };
  if (target.stat?.isFile()) return { rel, abs: target.abs, isDir: false, size: target.stat.size, isLink: true };
  return null;
}

/** 950 → "950 B", 3_174 → "3.1 KB", 49_152 → "48 KB", 1_300_000 → "1.2 MB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let x = n / 1024;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x < 10 ? x.toFixed(1).replace(/\.0$/, '') : Math.round(x)} ${units[i]}`;
}
