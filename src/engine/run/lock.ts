/**
 * One owner per run. Every command that executes a run's agents or writes its ledger (run,
 * resume, retry-failed, rerun, add-worker, ask) holds the run's lock file for its duration, so two
 * processes never execute the same run: they would double its spend, number its events twice and
 * overwrite each other's ledger.
 *
 * The lock is created exclusively (O_EXCL: `wx`), so of two processes racing for a free lock
 * exactly one gets it. A lock whose process is gone is taken over, under a takeover marker named
 * after that very lock's content: of two processes that find the same stale lock only one may
 * remove it, and a process that found it late sees a different lock by then and leaves it.
 */
import { promises as fs } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { processAlive } from '../ledger/runs';

/** A lock file as read back: a holder needs a pid; the rest, when missing or mis-shaped, is filled in. */
const HolderSchema = z.object({
  pid: z.number().int().positive(),
  command: z.string().catch('unknown').default('unknown'),
  host: z.string().catch(os.hostname()).default(os.hostname()),
  since: z.string().catch('unknown').default('unknown'),
});

/** A command refused because of the run's state (not the user's input): who owns it, what it is doing. */
export class CommandRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandRefusedError';
  }
}

export const LOCK_FILE = 'run.lock';

/** A lock file whose content is still unreadable after this long was torn by a process that died writing it. */
const TORN_GRACE_MS = 2_000;
/** A takeover marker older than this was left by a process that died mid-takeover (a takeover takes milliseconds). */
const TAKEOVER_GRACE_MS = 10_000;
const ATTEMPTS = 20;

/** Who holds a run's lock, as its file says. */
export interface LockHolder {
  pid: number;
  command: string;
  host: string;
  since: string;
}

export interface RunLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Removes the lock if it is still this one; safe to call twice. */
  release(): Promise<void>;
}

/**
 * Takes the run's lock for `command` (run, resume, retry-failed, rerun, add-worker, ask), or
 * throws a CommandRefusedError naming the process that holds it (pid, command, since when).
 */
export async function takeRunLock(dir: string, runId: string, command: string): Promise<RunLock> {
  const file = path.join(dir, LOCK_FILE);
  const holder: LockHolder = { pid: process.pid, command, host: os.hostname(), since: new Date().toISOString() };
  // The nonce makes every lock's content unique, so a takeover marker names exactly one lock.
  const text = JSON.stringify({ ...holder, nonce: randomBytes(8).toString('hex') });
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      await fs.writeFile(file, text, { flag: 'wx', mode: 0o644 });
      return lockOf(file, holder, text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const found = await readLock(file);
    if (found === null) continue; // released meanwhile: try again
    if (found.holder === null) {
      // `wx` creates the file before its content lands: a lock being written reads empty for a moment.
      if (Date.now() - found.mtimeMs < TORN_GRACE_MS) { await pause(25); continue; }
    } else if (isLive(found.holder)) {
      throw new CommandRefusedError(busyMessage(runId, found.holder, file));
    }
    await takeOver(file, found.text);
  }
  throw new CommandRefusedError(`Run ${runId}: could not take its lock (${file}) after ${ATTEMPTS} attempts; another process keeps changing it`);
}

/** What the run's lock file says, or null when there is none (or it is stale). Needs no lock. */
export async function runLockHolder(dir: string): Promise<LockHolder | null> {
  const found = await readLock(path.join(dir, LOCK_FILE));
  return found?.holder && isLive(found.holder) ? found.holder : null;
}

/** "Run X is busy with another command (resume) in process 1234, since …", with what to do. */
function busyMessage(runId: string, h: LockHolder, file: string): string {
  const where = h.pid === process.pid && h.host === os.hostname() ? `in this window (process ${h.pid})`
    : h.host === os.hostname() ? `in process ${h.pid}` : `in process ${h.pid} on host ${h.host}`;
  const remote = h.host !== os.hostname() ? `; if that process is gone, delete ${file}` : '';
  return `Run ${runId} is busy with another command (${h.command}) ${where}, since ${h.since}: one process owns a run at a time. Wait for it to finish, or stop that one first${remote}`;
}

/** A holder on another host cannot be checked from here, so it counts as live: its owner releases it. */
function isLive(h: LockHolder): boolean {
  if (h.host !== os.hostname()) return true;
  return h.pid === process.pid || processAlive(h.pid);
}

function lockOf(file: string, holder: LockHolder, text: string): RunLock {
  let released = false;
  return {
    file, holder,
    release: async () => {
      if (released) return;
      released = true;
      // Only our own lock: had it been taken over (we were judged dead), it is someone else's now.
      if (await fs.readFile(file, 'utf8').catch(() => null) === text) await fs.rm(file, { force: true });
    },
  };
}

async function readLock(file: string): Promise<{ text: string; holder: LockHolder | null; mtimeMs: number } | null> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, { mtimeMs }] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let holder: LockHolder | null = null;
  try {
    const h = HolderSchema.safeParse(JSON.parse(text));
    if (h.success) holder = h.data;
  } catch { /* torn or foreign content: judged by its age */ }
  return { text, holder, mtimeMs };
}

/** Removes the stale lock with content `staleText`, if it is still that one, under a marker only one process can hold. */
async function takeOver(file: string, staleText: string): Promise<void> {
  const marker = `${file}.takeover-${createHash('sha256').update(staleText).digest('hex').slice(0, 16)}`;
  try {
    await fs.writeFile(marker, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const age = await fs.stat(marker).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > TAKEOVER_GRACE_MS) await fs.rm(marker, { force: true });
    else await pause(25);
    return;
  }
  try {
    // Under the marker nobody else removes this lock, so it is still the stale one if it reads so now.
    if (await fs.readFile(file, 'utf8').catch(() => null) === staleText) await fs.rm(file, { force: true });
  } finally {
    await fs.rm(marker, { force: true });
  }
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
