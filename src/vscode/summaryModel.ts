/** Builds the Summary webview's state from a ledger snapshot and its plan. Pure, so it is unit-tested. */
import type { AgentRecord, LedgerSnapshot, Plan, RunStatus } from '../engine';
import type { AgentView, RunView } from '../shared/protocol';
import { domainIds, shownStatus } from './runShape';

/** The webview gets at most this much of summary.md; the rest is one click away in the editor. */
export const SUMMARY_LIMIT = 200_000;

export interface RunActions { approve: boolean; cancel: boolean; resume: boolean; retry: boolean }

/** Which buttons make sense, given the run's status and whether this window is executing it. */
export function runActions(s: LedgerSnapshot, executingHere: boolean): RunActions {
  const failed = s.agents.some((a) => a.status === 'failed');
  const finished = !executingHere && ['partial', 'failed', 'cancelled', 'interrupted'].includes(s.status);
  return {
    approve: s.status === 'awaiting-approval' && !executingHere,
    cancel: s.status === 'awaiting-approval' || (s.status === 'running' && executingHere),
    resume: finished && s.agents.length > 0,
    retry: finished && failed,
  };
}

function agentView(a: AgentRecord, runStatus: RunStatus): AgentView {
  return {
    id: a.id, task: a.task, tier: a.tier, model: a.modelReported ?? a.modelRequested, status: shownStatus(a, runStatus),
    outputFile: a.outputFile, returned: a.returned, error: a.error,
  };
}

export function buildRunView(s: LedgerSnapshot, plan: Plan | undefined, finalSummary: string | null, actions: RunActions): RunView {
  const domains = domainIds(s, plan).map((id) => {
    const spec = plan?.domains.find((d) => d.id === id);
    const mine = s.agents.filter((a) => a.domain === id);
    const workers = mine.filter((a) => a.role === 'worker');
    const coordinator = mine.find((a) => a.role === 'coordinator');
    return {
      id,
      name: spec?.name ?? `Domain ${id}`,
      done: mine.filter((a) => a.status === 'completed').length,
      total: mine.length,
      workers: workers.map((w) => agentView(w, s.status)),
      coordinator: coordinator ? agentView(coordinator, s.status) : null,
    };
  });
  const final = s.agents.find((a) => a.role === 'final');
  const t = s.totals;
  return {
    runId: s.runId,
    task: s.task,
    status: s.status,
    reason: s.reason,
    simulated: s.simulated,
    planSummary: plan?.summary ?? '',
    estimate: s.estimate,
    actions,
    domains,
    final: final ? agentView(final, s.status) : null,
    finalSummary: finalSummary === null ? null : finalSummary.slice(0, SUMMARY_LIMIT),
    totals: {
      agentsByStatus: { ...t.agentsByStatus },
      usage: { ...t.usage },
      costUsd: t.costUsd,
      costByModel: { ...t.costByModel },
      parentContextTokens: t.parentContextTokens,
      flatBaselineTokens: t.flatBaselineTokens,
      wallMs: t.wallMs,
    },
    gaps: s.gaps.map((g) => ({ agentId: g.agentId, outputFile: g.outputFile, reason: g.reason })),
  };
}
