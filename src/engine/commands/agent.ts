/** Stop and Rerun: commands on one agent of a run. */
import { ConfigError } from '../config';
import { PLANNER_ID } from '../ledger/ledger';
import { effectiveStatus, originOfRun } from '../ledger/runs';
import { sendControl } from '../run/control';
import { executingRun } from '../execution/executing';
import type { Run, RunOutcome } from '../execution/run';
import { takeRunLock, type RunLock } from '../run/lock';
import { CommandRefusedError, ForeignRunError, readSnapshot, readSnapshotIfSound, refuseIfOwnedElsewhere } from './claim';
import type { AgentCommandOptions, CommandHost } from './host';

export interface StopResult {
  ok: boolean;
  message: string;
}

/**
 * Stops one agent where its run executes: here, or in the process that owns it (through its
 * control folder). Needs no model, so a front end can call it without a key.
 */
export async function stopRunAgent(dir: string, runId: string, agentId: string): Promise<StopResult> {
  const here = executingRun(dir);
  if (here) {
    const a = here.ledger.get(agentId);
    if (!a) return { ok: false, message: `Run ${runId} has no agent ${agentId}` };
    return here.stopAgent(agentId)
      ? { ok: true, message: `Stopped ${agentId}; the rest of the run goes on` }
      : { ok: false, message: `Agent ${agentId} is ${a.status}, not running or waiting; nothing to stop` };
  }
  const snap = await readSnapshot(dir, runId);
  if (!snap.agents.some((a) => a.id === agentId)) return { ok: false, message: `Run ${runId} has no agent ${agentId}` };
  const status = effectiveStatus(snap);
  if (status !== 'running') return { ok: false, message: `Run ${runId} is ${status}, not running; there is nothing to stop` };
  const reply = await sendControl(dir, { command: 'stop', agentId });
  return reply ?? { ok: false, message: `The process running ${runId} (pid ${snap.pid}) did not answer within 5 s; the request was withdrawn and nothing was stopped` };
}

/** Statuses a run may have for agents to be rerun or added: it ran and finished. */
const FINISHED = new Set(['completed', 'partial', 'failed', 'cancelled']);

/** Refuses a run that is not finished, saying what to do instead. */
export function requireFinished(run: Run, what: string): void {
  const status = run.ledger.status;
  if (FINISHED.has(status)) return;
  const instead = status === 'awaiting-approval' ? 'approve or edit its plan first'
    : status === 'declined' ? 'its plan was declined; start a new task'
      : status === 'running' || status === 'planning' ? 'it was cut off while it ran; resume it first'
        : 'wait for it to finish';
  throw new CommandRefusedError(`Run ${run.id} is ${status === 'running' || status === 'planning' ? 'interrupted' : status}, so ${what} is refused: ${instead}`);
}

/**
 * Opens a run for a command that executes its agents or writes its ledger, holding the run's lock
 * (run/lock.ts) from before the ledger is read until the command ends: a second owner is refused,
 * naming the process that holds it. The Run gets the lock, so executing it does not take it again.
 */
export async function withClaimedRun<T>(
  host: CommandHost, runId: string, command: string, what: string, fn: (run: Run, lock: RunLock) => Promise<T>,
  opts: { awaitingToo?: boolean; allowForeign?: boolean | undefined } = {},
): Promise<T> {
  const dir = await host.dirOf(runId);
  const origin = await originOfRun(host.workspace, host.config.outputRoot, runId, host.stateDir);
  if (!origin.local && !opts.allowForeign) throw new ForeignRunError(runId, origin, what);
  // A foreign ledger's pid is a process of the machine it came from: only the lock says who owns it here.
  const ledgerPidCounts = origin.local;
  // A damaged ledger (null) is rebuilt by host.open under the lock; the lock alone then says who owns the run.
  const first = await readSnapshotIfSound(dir, runId);
  if (first && executingRun(dir)) refuseIfOwnedElsewhere(first, dir, what, opts.awaitingToo);
  // The lock first: its refusal names the owner's pid and command. The ledger is read under it.
  const lock = await takeRunLock(dir, runId, command);
  let run: Run | null = null;
  try {
    // A process that owns the run without its lock (planning, or an older version) shows in the ledger.
    const snap = await readSnapshotIfSound(dir, runId);
    if (snap) refuseIfOwnedElsewhere(ledgerPidCounts ? snap : { ...snap, pid: null }, dir, what, opts.awaitingToo);
    run = await host.open(runId);
    run.holdLock(lock);
    return await fn(run, lock);
  } finally {
    await run?.ledger.close().catch(() => undefined);
    run?.transcripts.dispose();
    run?.holdLock(null);
    await lock.release();
  }
}

export async function rerunAgent(
  host: CommandHost, runId: string, agentId: string, opts: AgentCommandOptions & { instruction?: string },
): Promise<RunOutcome> {
  const instruction = opts.instruction?.trim() ?? '';
  if (instruction.length > 4_000) throw new ConfigError(`The instruction is ${instruction.length} characters; at most 4,000 are allowed`);
  return withClaimedRun(host, runId, 'rerun', `rerunning ${agentId}`, async (run) => {
    requireFinished(run, `rerunning ${agentId}`);
    const agent = run.ledger.get(agentId);
    if (!agent) throw new ConfigError(`Run ${runId} has no agent ${agentId} (agents: ${run.ledger.agents.map((a) => a.id).join(', ')})`);
    if (agentId === PLANNER_ID) throw new CommandRefusedError('The planner is not rerun on its own: revise the plan before approving it, or run the task again to plan anew');
    const role = run.pattern.roles[agent.role];
    if (!role) throw new CommandRefusedError(`Agent ${agentId} (${agent.role}) is not one the ${run.pattern.name} pattern runs`);
    if (role.noRerun) throw new CommandRefusedError(`Agent ${agentId} cannot be rerun on its own: ${role.noRerun}`);
    run.ledger.recordCommand('rerun', agentId, instruction ? `rerun with the instruction: ${instruction}` : 'rerun');
    opts.onRun?.(run);
    return run.rerun([agentId], { ...(opts.signal ? { signal: opts.signal } : {}), ...(instruction ? { instructions: { [agentId]: instruction } } : {}) });
  }, { allowForeign: opts.allowForeign });
}
