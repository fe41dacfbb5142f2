import { chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { SENTINEL } from './types';

let tempCounter = 0;
/** Names tried before giving up when temp names are taken (only ever by something planted there). */
const TEMP_ATTEMPTS = 10;

/**
 * The next temp file name beside `file`: pid + counter. The name can be guessed, so the file is
 * always created exclusively (see writeFileAtomicSync), never opened if something is there.
 */
export function tempPathFor(file: string): string {
  return `${file}.${process.pid}.${++tempCounter}.tmp`;
}

/**
 * Writes `data` to a new temp file beside `file`, then renames it over `file`: a reader never sees
 * half a file, and a crash never leaves one. The temp file is created with O_EXCL, so an existing
 * path there, a planted symlink among them, is never followed; the next name is tried instead. The
 * folder is created only when the first create finds it missing, not checked before every write.
 * `mode` sets the new file's permission bits (a replaced file keeps its executable bit that way).
 */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, opts: { mode?: number } = {}): void {
  let madeFolder = false;
  for (let attempt = 1; ; attempt++) {
    const tmp = tempPathFor(file);
    try {
      writeFileSync(tmp, data, { encoding: 'utf8', flag: 'wx' });
      if (opts.mode !== undefined) chmodSync(tmp, opts.mode);
      renameSync(tmp, file);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && attempt < TEMP_ATTEMPTS) continue; // not ours: leave it be
      if (code !== 'EEXIST') rmSync(tmp, { force: true });       // ours, or nothing there
      if (code === 'ENOENT' && !madeFolder) {
        mkdirSync(path.dirname(file), { recursive: true });
        madeFolder = true;
        continue;
      }
      throw err;
    }
  }
}

/**
 * `writeFileAtomicSync` for async callers. Synchronous underneath: even a 1,000-agent ledger
 * snapshot is about a megabyte, written to the page cache in about a millisecond.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  writeFileAtomicSync(file, data);
}

/** Synchronous underneath: the files read here are reports of a few KB, not worth a thread-pool round trip each. */
export async function readTextOrNull(file: string): Promise<string | null> {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * `fs.statSync` (following symlinks), or null when the path is missing or unreadable. A missing
 * path is common here, so it is asked without a throw: building the error costs more than the stat.
 */
export function statSyncOrNull(p: string): Stats | null {
  try {
    return statSync(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

/** `fs.lstatSync` (the entry itself, not a symlink's target), or null like `statSyncOrNull`. */
export function lstatSyncOrNull(p: string): Stats | null {
  try {
    return lstatSync(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

/** True when the text's last non-blank line is exactly the sentinel. */
export function endsWithSentinel(text: string | null): boolean {
  if (text === null) return false;
  return text.trimEnd().split('\n').pop()?.trim() === SENTINEL;
}

export async function fileEndsWithSentinel(file: string): Promise<boolean> {
  return endsWithSentinel(await readTextOrNull(file));
}
