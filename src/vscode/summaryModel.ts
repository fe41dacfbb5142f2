/** Builds the Summary webview's state from a ledger snapshot and its plan. Pure, so it is unit-tested. */
import type { AgentRecord, LedgerSnapshot, Plan, RunStatus } from '../engine';
import type { AgentView, RunView } from '../shared/protocol';
import { domainIds, shownStatus } from './runShape';

/** The webview gets at most this much of summary.md; the rest is one click away in the editor. */
export const SUMMARY_LIMIT = 200_000;

export interface RunActions { approve: boolean; decline: boolean; cancel: boolean; resume: boolean; retry: boolean }

/** Which buttons make sense, given the run's status and whether this window is executing it. */
export function runActions(s: LedgerSnapshot, executingHere: boolean): RunActions {
  const failed = s.agents.some((a) => a.status === 'failed');
  // Not `declined`: the user turned that plan down, and resuming it would run it anyway.
  const finished = !executingHere && ['partial', 'failed', 'cancelled', 'interrupted'].includes(s.status);
  const awaiting = s.status === 'awaiting-approval' && !executingHere;
  return {
    approve: awaiting,
    decline: awaiting,
    cancel: s.status === 'running' && executingHere,
    resume: finished && s.agents.length > 0,
    retry: finished && failed,
  };
}

function agentView(a: AgentRecord, runStatus: RunStatus, written: ReadonlySet<string>): AgentView {
  return {
    id: a.id, task: a.task, tier: a.tier, model: a.modelReported ?? a.modelRequested, status: shownStatus(a, runStatus),
    outputFile: a.outputFile, written: written.has(a.outputFile), returned: a.returned, error: a.error,
  };
}

/**
 * `written` holds the output files (relative to the run) that exist on disk: the view links only
 * to those, so no link leads to a file that is not there.
 */
export function buildRunView(s: LedgerSnapshot, plan: Plan | undefined, finalSummary: string | null, actions: RunActions, written: ReadonlySet<string> = new Set()): RunView {
  const view = (a: AgentRecord) => agentView(a, s.status, written);
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
      workers: workers.map(view),
      coordinator: coordinator ? view(coordinator) : null,
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
    final: final ? view(final) : null,
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
    gaps: s.gaps.map((g) => ({ agentId: g.agentId, outputFile: g.outputFile, written: written.has(g.outputFile), reason: g.reason })),
  };
}
