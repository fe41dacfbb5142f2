/**
 * Who may act on a run. A command that writes a run's ledger (rerun, ask, add a worker, revise
 * the plan) runs only where nothing else is writing it: never while the run executes in another
 * process or window, never twice at once. The ledger's `pid` says which process owns a running
 * run; the run's lock (run/lock.ts), held for the command's duration, keeps two owners apart.
 */
import { pathExists } from '../files';
import * as path from 'node:path';
import { EVENTS_FILE, LedgerDamagedError, readSnapshotFile } from '../ledger/rebuild';
import { processAlive } from '../ledger/runs';
import { executingRun } from '../execution/executing';
import { CommandRefusedError } from '../run/lock';
import type { RunOrigin } from '../ledger/origin';
import type { LedgerSnapshot } from '../types';

export { CommandRefusedError } from '../run/lock';

/**
 * A command refused because the run folder was not created on this machine: resuming, retrying,
 * rerunning, asking or adding a worker would run agents of a plan written elsewhere on the user's
 * key. `origin.reason` says where it came from.
 */
export class ForeignRunError extends CommandRefusedError {
  constructor(readonly runId: string, readonly origin: Extract<RunOrigin, { local: false }>, what: string) {
    super(`${origin.reason} ${what.charAt(0).toUpperCase()}${what.slice(1)} would run a plan written elsewhere, on your key and at your cost.`);
    this.name = 'ForeignRunError';
  }
}

export async function readSnapshot(dir: string, runId: string): Promise<LedgerSnapshot> {
  const snap = await readSnapshotIfSound(dir, runId);
  if (!snap) throw new CommandRefusedError(`Run ${runId} has a damaged ledger.json in ${dir}; resume rebuilds it from events.jsonl`);
  return snap;
}

/**
 * The run's snapshot, or null when ledger.json is damaged or missing but events.jsonl can rebuild
 * it (Ledger.load does, under the caller's lock). Throws "not found" when neither is there.
 */
export async function readSnapshotIfSound(dir: string, runId: string): Promise<LedgerSnapshot | null> {
  try {
    return await readSnapshotFile(dir, runId);
  } catch (err) {
    if (err instanceof LedgerDamagedError) return null;
    if (await pathExists(path.join(dir, EVENTS_FILE))) return null;
    throw new CommandRefusedError(`Run ${runId} not found (no readable ledger.json in ${dir})`);
  }
}

/**
 * Throws when another process owns the run: it is planning or running there, or (with
 * `awaitingToo`) it waits for approval there. A run executing in this process is refused as
 * well unless the caller can share it.
 */
export function refuseIfOwnedElsewhere(snap: LedgerSnapshot, dir: string, what: string, awaitingToo = false): void {
  if (executingRun(dir)) throw new CommandRefusedError(`Run ${snap.runId} is executing in this window; ${what} when it has finished`);
  const busy = snap.status === 'running' || snap.status === 'planning' || (awaitingToo && snap.status === 'awaiting-approval');
  if (busy && snap.pid !== null && snap.pid !== process.pid && processAlive(snap.pid)) {
    throw new CommandRefusedError(`Run ${snap.runId} is ${snap.status} in another window or process (pid ${snap.pid}); ${what} there, or when it has finished`);
  }
}
