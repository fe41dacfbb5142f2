/**
 * Who may act on a run. A command that writes a run's ledger (rerun, ask, add a worker, revise
 * the plan) runs only where nothing else is writing it: never while the run executes in another
 * process or window, never twice at once. The ledger's `pid` says which process owns a running
 * run; the run's lock (run/lock.ts), held for the command's duration, keeps two owners apart.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { processAlive } from '../ledger/runs';
import { executingRun } from '../run/executing';
import { CommandRefusedError } from '../run/lock';
import type { LedgerSnapshot } from '../types';

export { CommandRefusedError } from '../run/lock';

export async function readSnapshot(dir: string, runId: string): Promise<LedgerSnapshot> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, 'ledger.json'), 'utf8')) as LedgerSnapshot;
  } catch {
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
