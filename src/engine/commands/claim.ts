/**
 * Who may act on a run. A command that writes a run's ledger (rerun, ask, add a worker, revise
 * the plan) runs only where nothing else is writing it: never while the run executes in another
 * process or window, never twice at once. The ledger's `pid` says which process owns a running
 * run; a lock file taken exclusively for the command's duration keeps two commands apart.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { processAlive } from '../ledger/runs';
import { executingRun } from '../run/executing';
import type { LedgerSnapshot } from '../types';

/** A command refused because of the run's state (not the user's input): who owns it, what it is doing. */
export class CommandRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandRefusedError';
  }
}

const LOCK_FILE = 'command.lock';

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

/**
 * Takes the run's command lock (created exclusively, holding this pid), or throws naming who
 * holds it. A lock left by a process that is gone is taken over.
 */
export async function takeLock(dir: string, runId: string, command: string): Promise<{ release(): Promise<void> }> {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(file, JSON.stringify({ pid: process.pid, command, t: new Date().toISOString() }), { flag: 'wx' });
      return { release: () => fs.rm(file, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: { pid?: number; command?: string } = {};
    try { holder = JSON.parse(await fs.readFile(file, 'utf8')) as typeof holder; } catch { /* torn or gone: judged stale below */ }
    if (typeof holder.pid === 'number' && (holder.pid === process.pid || processAlive(holder.pid))) {
      const where = holder.pid === process.pid ? 'in this window' : `in process ${holder.pid}`;
      throw new CommandRefusedError(`Run ${runId} is busy with another command (${holder.command ?? 'unknown'}) ${where}; try again when it has finished`);
    }
    await fs.rm(file, { force: true });
  }
  throw new CommandRefusedError(`Run ${runId}: could not take its command lock (${file})`);
}
