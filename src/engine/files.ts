import {
  chmodSync, closeSync, lstatSync, mkdirSync, openSync, promises as fsp, renameSync, rmSync, statSync, writeFileSync, writeSync, type Stats,
} from 'node:fs';
import * as path from 'node:path';
import { SENTINEL } from './types';

/** Why a write can fail for reasons outside the engine, in words a user can act on. */
const STORAGE_ERRNOS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EIO: 'an input/output error on the device',
};

/**
 * A write the disk refused (full, read-only, no permission). Node's own errors for these say
 * `ENOSPC: no space left on device, write` and name no file; this one names the file and keeps
 * the errno in `code`. `forRun` adds the command that continues the run once the cause is fixed.
 */
export class StorageError extends Error {
  /**
   * `run`: the run the write belonged to, and whether it was planned (then `resume` continues it;
   * a run still planning has nothing to resume, and the task is run again).
   */
  constructor(readonly file: string, readonly code: string, cause: unknown, readonly written = 0, readonly run: { id: string; planned: boolean } | null = null) {
    const what = `Could not write ${file}: ${STORAGE_ERRNOS[code] ?? code} (${code})`;
    const fix = code === 'ENOSPC' || code === 'EDQUOT' ? 'Free some space' : 'Make the run folder writable';
    const next = run === null ? ''
      : run.planned ? `. ${fix}, then continue the run with: orchestrate resume ${run.id} (in VS Code: Orchestration: Resume Run)`
        : `. ${fix}, then run the task again: run ${run.id} stopped while planning, so nothing of it ran`;
    super(what + next, { cause });
    this.name = 'StorageError';
  }

  /** The same error with the way forward for a run: what to fix, then the command that continues. */
  forRun(runId: string, planned = true): StorageError {
    return this.run?.id === runId && this.run.planned === planned ? this : new StorageError(this.file, this.code, this.cause, this.written, { id: runId, planned });
  }
}

/** True for errno codes a user fixes outside the product (disk space, permissions, a read-only mount). */
export function isStorageErrno(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && code in STORAGE_ERRNOS;
}

/** `err` as a StorageError naming `file` when it is one of those errnos; anything else unchanged. */
export function asStorageError(err: unknown, file: string, written = 0): unknown {
  if (err instanceof StorageError || !isStorageErrno(err)) return err;
  return new StorageError(file, err.code!, err, written);
}

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
        try { mkdirSync(path.dirname(file), { recursive: true }); } catch (e) { throw asStorageError(e, path.dirname(file)); }
        madeFolder = true;
        continue;
      }
      throw asStorageError(err, file);
    }
  }
}

/**
 * `writeFileAtomicSync` off the event loop: the same exclusive temp file and rename, through the
 * thread pool, so a megabyte ledger snapshot or a long report never blocks the extension host.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, opts: { mode?: number } = {}): Promise<void> {
  let madeFolder = false;
  for (let attempt = 1; ; attempt++) {
    const tmp = tempPathFor(file);
    try {
      await fsp.writeFile(tmp, data, { encoding: 'utf8', flag: 'wx' });
      if (opts.mode !== undefined) await fsp.chmod(tmp, opts.mode);
      await fsp.rename(tmp, file);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && attempt < TEMP_ATTEMPTS) continue; // not ours: leave it be
      if (code !== 'EEXIST') await fsp.rm(tmp, { force: true });  // ours, or nothing there
      if (code === 'ENOENT' && !madeFolder) {
        try { await fsp.mkdir(path.dirname(file), { recursive: true }); } catch (e) { throw asStorageError(e, path.dirname(file)); }
        madeFolder = true;
        continue;
      }
      throw asStorageError(err, file);
    }
  }
}

/**
 * Appends `data` to `file` (created when missing) and returns once all of it is written. A failed
 * write throws a StorageError whose `written` counts the bytes that did land, so a caller can tell
 * which of its lines are on disk and which half line it left behind. Synchronous like the writes
 * above: the chunks appended here are a few KB of events.
 */
export function appendFileCountingSync(file: string, data: Uint8Array): void {
  let written = 0;
  let fd: number;
  try { fd = openSync(file, 'a'); } catch (err) { throw asStorageError(err, file); }
  try {
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
  } catch (err) {
    throw asStorageError(err, file, written);
  } finally {
    closeSync(fd);
  }
}

/** A file's text, or null when it does not exist; any other failure is thrown. */
export async function readTextOrNull(file: string): Promise<string | null> {
  try {
    return await fsp.readFile(file, 'utf8');
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

/** `fs.promises.stat`, or null when the path is missing or unreadable: `statSyncOrNull` for async code. */
export async function statOrNull(p: string): Promise<Stats | null> {
  return fsp.stat(p).catch(() => null);
}

/** `fs.promises.lstat`, or null like `statOrNull`. */
export async function lstatOrNull(p: string): Promise<Stats | null> {
  return fsp.lstat(p).catch(() => null);
}

/** Whether `p` exists, following symlinks as `existsSync` does: `existsSync` for async code. */
export async function pathExists(p: string): Promise<boolean> {
  return (await statOrNull(p)) !== null;
}

/** True when the text's last non-blank line is exactly the sentinel. */
export function endsWithSentinel(text: string | null): boolean {
  if (text === null) return false;
  return text.trimEnd().split('\n').pop()?.trim() === SENTINEL;
}

export async function fileEndsWithSentinel(file: string): Promise<boolean> {
  return endsWithSentinel(await readTextOrNull(file));
}
