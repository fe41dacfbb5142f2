/**
 * Resume and Retry Failed: execute a run from disk again. The run's owner is this process for the
 * whole execution (its lock); a run folder not created on this machine is refused unless the
 * caller has shown the user where it came from and the user went on.
 */
import { originOfRun } from '../ledger/runs';
import type { RunOrigin } from '../ledger/origin';
import type { RunOutcome } from '../run/run';
import { CommandRefusedError } from './claim';
import { withClaimedRun } from './agent';
import type { AgentCommandOptions, CommandHost } from './host';

/** Resume or retry refused because the run folder was not created here; `origin.reason` says where it came from. */
export class ForeignRunError extends CommandRefusedError {
  constructor(readonly runId: string, readonly origin: Extract<RunOrigin, { local: false }>) {
    super(`${origin.reason} Resuming it would run a plan written elsewhere, on your key and at your cost.`);
    this.name = 'ForeignRunError';
  }
}

export interface ResumeOptions extends AgentCommandOptions {
  /** `resume` (the default) re-runs unfinished agents; `retry-failed` re-runs failed ones and what depends on them. */
  mode?: 'resume' | 'retry-failed';
  /** The user saw the warning about a run not created on this machine and chose to go on. */
  allowForeign?: boolean;
}

export async function resumeRun(host: CommandHost, runId: string, opts: ResumeOptions): Promise<RunOutcome> {
  const mode = opts.mode ?? 'resume';
  const origin = await originOfRun(host.workspace, host.config.outputRoot, runId, host.stateDir);
  if (!origin.local && !opts.allowForeign) throw new ForeignRunError(runId, origin);
  const what = mode === 'resume' ? 'resuming it' : 'retrying its failed agents';
  // awaitingToo: a plan waiting for approval in another window belongs to that window. A foreign
  // ledger's pid is a process of the machine it came from, so only the lock says who owns it here.
  return withClaimedRun(host, runId, mode, what, (run) => {
    opts.onRun?.(run);
    return run.execute({ mode, ...(opts.signal ? { signal: opts.signal } : {}) });
  }, { awaitingToo: true, ledgerPidCounts: origin.local });
}
