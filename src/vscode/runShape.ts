/** Reading a run's shape (domains and their agents) from a snapshot. No vscode import, so the Summary's pure model can use it. */
import type { AgentRecord, AgentStatus, LedgerSnapshot, Plan, RunStatus } from '../engine';

/** Domain ids in plan order when the plan is known, else in first-seen order of the ledger. */
export function domainIds(s: LedgerSnapshot, plan?: Plan): string[] {
  if (plan) return plan.domains.map((d) => d.id);
  const ids: string[] = [];
  for (const a of s.agents) if (a.domain && !ids.includes(a.domain)) ids.push(a.domain);
  return ids;
}

export function domainAgents(s: LedgerSnapshot, domainId: string): AgentRecord[] {
  const workers = s.agents.filter((a) => a.domain === domainId && a.role === 'worker');
  const coordinators = s.agents.filter((a) => a.domain === domainId && a.role === 'coordinator');
  return [...workers, ...coordinators];
}

export type ShownStatus = AgentStatus | 'interrupted';
const IN_FLIGHT: ReadonlySet<AgentStatus> = new Set(['queued', 'running', 'verifying', 'retrying']);

/**
 * The status to show for an agent. An interrupted run's ledger still says `running` for agents
 * that were in flight when the process died; showing them spinning would be a lie. A declined
 * plan's agents stay `pending` in the ledger but will never run.
 */
export function shownStatus(a: AgentRecord, runStatus: RunStatus): ShownStatus {
  if (runStatus === 'declined' && a.status === 'pending') return 'skipped';
  return runStatus === 'interrupted' && IN_FLIGHT.has(a.status) ? 'interrupted' : a.status;
}
