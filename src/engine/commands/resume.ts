/**
 * Resume and Retry Failed: execute a run from disk again. The run's owner is this process for the
 * whole execution (its lock); a run folder not created on this machine is refused unless the
 * caller has shown the user where it came from and the user went on.
 */
import type { RunOutcome } from '../execution/run';
import { withClaimedRun } from './agent';
import type { AgentCommandOptions, CommandHost } from './host';

export interface ResumeOptions extends AgentCommandOptions {
  /** `resume` (the default) re-runs unfinished agents; `retry-failed` re-runs failed ones and what depends on them. */
  mode?: 'resume' | 'retry-failed';
}

export async function resumeRun(host: CommandHost, runId: string, opts: ResumeOptions): Promise<RunOutcome> {
  const mode = opts.mode ?? 'resume';
  const what = mode === 'resume' ? 'resuming it' : 'retrying its failed agents';
  // awaitingToo: a plan waiting for approval in another window belongs to that window.
  return withClaimedRun(host, runId, mode, what, (run) => {
    opts.onRun?.(run);
    return run.execute({ mode, ...(opts.signal ? { signal: opts.signal } : {}) });
  }, { awaitingToo: true, allowForeign: opts.allowForeign });
}
