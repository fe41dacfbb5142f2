/**
 * The guarded folder walk shared by `list_files`, `search` and the planner's workspace overview,
 * and the byte formatting they show. Every entry passes the same rules as the path guard, so a walk
 * never yields anything a tool could not read.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { statSyncOrNull } from '../files';
import { guardPathSync, outputRootRel, refusalReason, type GuardContext } from './pathGuard';

/** Directory entries one list or search may visit, so a giant tree cannot stall an agent. */
const DEFAULT_SCAN_LIMIT = 100_000;

/** One entry yielded by `walkAllowed`. */
export interface WalkEntry {
  /** Workspace-relative, posix separators. */
  rel: string;
  /** Absolute path to open (a symlink's real target). */
  abs: string;
  isDir: boolean;
  /** Bytes for files, 0 for folders. */
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

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Every allowed entry below `start` (guarded first; a refusal throws), depth first in code-point
 * name order, so output is deterministic. Refused entries are skipped silently; `maxDepth` 1 lists
 * only direct children.
 */
export async function* walkAllowed(
  ctx: GuardContext, start: string, opts: { maxDepth?: number; state?: ScanState } = {},
): AsyncGenerator<WalkEntry> {
  const root = guardPathSync(ctx, start);
  const walk: Walk = { ctx, outputRoot: outputRootRel(ctx), state: opts.state ?? newScanState() };
  yield* walkDir(walk, root.abs, root.rel, opts.maxDepth ?? Infinity);
}

interface Walk { ctx: GuardContext; outputRoot: string | null; state: ScanState }

async function* walkDir(walk: Walk, dirAbs: string, dirRel: string, depth: number): AsyncGenerator<WalkEntry> {
  const { ctx, state } = walk;
  let dirents;
  try {
    // Synchronous: one getdents batch, where the async form costs a thread-pool round trip per folder.
    dirents = readdirSync(dirAbs, { withFileTypes: true });
  } catch {
    return;
  }
  dirents.sort(byName);
  for (const d of dirents) {
    if (state.scanned >= state.limit) {
      state.stopped = true;
      return;
    }
    state.scanned++;
    const rel = dirRel ? `${dirRel}/${d.name}` : d.name;
    if (refusalReason(rel, walk.outputRoot) !== null) continue;
    const abs = path.join(dirAbs, d.name);
    if (d.isSymbolicLink()) {
      let target: string;
      try {
        target = guardPathSync(ctx, rel).abs;
      } catch {
        continue;
      }
      const st = statSyncOrNull(target);
      if (st?.isDirectory()) yield { rel, abs: target, isDir: true, size: 0, isLink: true };
      else if (st?.isFile()) yield { rel, abs: target, isDir: false, size: st.size, isLink: true };
    } else if (d.isDirectory()) {
      yield { rel, abs, isDir: true, size: 0, isLink: false };
      if (depth > 1) yield* walkDir(walk, abs, rel, depth - 1);
    } else if (d.isFile()) {
      const st = statSyncOrNull(abs);
      if (st) yield { rel, abs, isDir: false, size: st.size, isLink: false };
    }
    // Sockets, FIFOs and devices are skipped: reading a FIFO would block forever.
  }
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
