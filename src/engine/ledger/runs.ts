import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { LedgerSnapshot } from '../types';
import { LedgerDamagedError, readSnapshotFile } from './rebuild';

/** YYYYMMDD-HHMMSS-xxxx, sortable by time. */
export function newRunId(now = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const d = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}`;
  const t = `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${d}-${t}-${randomBytes(2).toString('hex')}`;
}

export const RUN_ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{4}$/;

export function runDir(workspace: string, outputRoot: string, runId: string): string {
  if (!RUN_ID_PATTERN.test(runId)) throw new Error(`"${runId}" is not a run id (expected YYYYMMDD-HHMMSS-xxxx)`);
  return path.join(workspace, outputRoot, runId);
}

/** True when a process with this pid exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

/**
 * A run whose ledger says it is running or planning but whose owning process is gone was cut
 * off (crash, kill -9, window reload): report it as interrupted so resume is offered.
 * `activeRunIds` are runs this process owns right now.
 */
export function effectiveStatus(snap: LedgerSnapshot, activeRunIds: ReadonlySet<string> = new Set()): LedgerSnapshot['status'] {
  if (snap.status !== 'running' && snap.status !== 'planning') return snap.status;
  if (activeRunIds.has(snap.runId)) return snap.status;
  if (snap.pid !== null && snap.pid !== process.pid && processAlive(snap.pid)) return snap.status;
  return 'interrupted';
}

/** Every run under the output root, newest first. Unreadable ledgers are skipped, not fatal. */
export async function listRuns(workspace: string, outputRoot: string, activeRunIds?: ReadonlySet<string>): Promise<LedgerSnapshot[]> {
  return (await scanRuns(workspace, outputRoot, activeRunIds)).runs;
}

/**
 * Every run under the output root, newest first, and apart from them the runs whose ledger.json
 * is damaged (each error names the file; resume rebuilds it). Folders without a ledger are skipped.
 */
export async function scanRuns(
  workspace: string, outputRoot: string, activeRunIds?: ReadonlySet<string>,
): Promise<{ runs: LedgerSnapshot[]; damaged: LedgerDamagedError[] }> {
  const root = path.join(workspace, outputRoot);
  let names: string[];
  try { names = await fs.readdir(root); } catch { return { runs: [], damaged: [] }; }
  const read = await Promise.all(names.filter((n) => RUN_ID_PATTERN.test(n)).sort().reverse().map(async (n) => {
    try {
      const snap = await readSnapshotFile(path.join(root, n), n);
      return { ...snap, status: effectiveStatus(snap, activeRunIds) };
    } catch (err) {
      return err instanceof LedgerDamagedError ? err : null;
    }
  }));
  return {
    runs: read.filter((r): r is LedgerSnapshot => r !== null && !(r instanceof LedgerDamagedError)),
    damaged: read.filter((r): r is LedgerDamagedError => r instanceof LedgerDamagedError),
  };
}

/** A run's snapshot. Throws LedgerDamagedError (naming the file) when it is damaged, and says "not found" only when it is missing. */
export async function readLedger(workspace: string, outputRoot: string, runId: string): Promise<LedgerSnapshot> {
  const dir = runDir(workspace, outputRoot, runId);
  try {
    return await readSnapshotFile(dir, runId);
  } catch (err) {
    if (err instanceof LedgerDamagedError) throw err;
    const file = path.join(dir, 'ledger.json');
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `Run ${runId} not found (no ${file})` : `Run ${runId}: cannot read ${file} (${code ?? (err as Error).message})`, { cause: err });
  }
}

export async function deleteRun(workspace: string, outputRoot: string, runId: string): Promise<void> {
  await fs.rm(runDir(workspace, outputRoot, runId), { recursive: true, force: true });
}
