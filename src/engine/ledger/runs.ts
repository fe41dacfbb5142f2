import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { LedgerSnapshot } from '../types';

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
  const root = path.join(workspace, outputRoot);
  let names: string[];
  try { names = await fs.readdir(root); } catch { return []; }
  const runs = await Promise.all(names.filter((n) => RUN_ID_PATTERN.test(n)).sort().reverse().map(async (n) => {
    try {
      const snap = JSON.parse(await fs.readFile(path.join(root, n, 'ledger.json'), 'utf8')) as LedgerSnapshot;
      return { ...snap, status: effectiveStatus(snap, activeRunIds) };
    } catch { return null; }
  }));
  return runs.filter((r): r is LedgerSnapshot => r !== null);
}

export async function readLedger(workspace: string, outputRoot: string, runId: string): Promise<LedgerSnapshot> {
  const file = path.join(runDir(workspace, outputRoot, runId), 'ledger.json');
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as LedgerSnapshot;
  } catch {
    throw new Error(`Run ${runId} not found (no readable ${file})`);
  }
}

export async function deleteRun(workspace: string, outputRoot: string, runId: string): Promise<void> {
  await fs.rm(runDir(workspace, outputRoot, runId), { recursive: true, force: true });
}
