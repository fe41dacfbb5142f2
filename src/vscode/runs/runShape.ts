/**
 * Reading a run's shape (its pattern's groups and their agents) from a snapshot. No vscode import,
 * so the Summary's pure model can use it. The engine puts the groups in the ledger; the views only
 * fall back to the plan or to the agents' `domain` ids for ledgers written before it did.
 */
import { DEFAULT_PATTERN, patternNamed, PLANNER_ROLE, SUMMARY_FILE, type AgentGroup, type AgentRecord, type AgentStatus, type AnyPlan, type LedgerSnapshot, type PatternName, type PatternView, type RunStatus } from '../../engine';
import { plural } from '../../shared/words';

/**
 * A step the engine does itself, not a model (a build's assembly): its pattern declares the role
 * with no tokens at all, so the views show no model for it.
 */
export function byEngine(pattern: string, a: Pick<AgentRecord, 'role'>): boolean {
  const t = patternNamed(pattern)?.roles[a.role]?.tokens;
  return !!t && t.input[1] === 0 && t.output[1] === 0;
}

/**
 * What the views call an agent whose id and task say little (a run-level step, a coordinator), as
 * its pattern declares it: "Final summary", "Coordinator a", "Assembly: changes.patch"; else null.
 */
export function roleLabel(pattern: string, a: Pick<AgentRecord, 'role' | 'domain'>): string | null {
  return patternNamed(pattern)?.roles[a.role]?.label?.(a) ?? null;
}

/**
 * Who started the run, for the views' protocols: the ledger is read back from the workspace, so a
 * value that is not a short string is dropped rather than failing the whole view's state.
 */
export function startedByOf(s: LedgerSnapshot): string | null {
  const v: unknown = s.startedBy;
  return typeof v === 'string' && v.length <= 200 ? v : null;
}

/** A group with more agents than this is shown in pages of this many (a map of 250 partitions never renders 250 rows). */
export const PAGE_SIZE = 50;

/** The run's pattern; ledgers written before patterns existed are fan-out. */
export function patternOf(s: LedgerSnapshot, plan?: AnyPlan): PatternName {
  return s.pattern ?? plan?.pattern ?? DEFAULT_PATTERN;
}

/**
 * The groups in display order: the ledger's, else the groups the pattern reads from its plan
 * (fan-out's domains), then any `domain` id an agent names that neither lists (first-seen
 * order), so no agent is ever left out.
 */
export function groupsOf(s: LedgerSnapshot, plan?: AnyPlan): AgentGroup[] {
  const view = viewOf(patternOf(s, plan));
  const groups: AgentGroup[] = s.groups?.length ? [...s.groups] : plan ? view.planGroups?.(plan) ?? [] : [];
  const known = new Set(groups.map((g) => g.id));
  for (const a of s.agents) {
    if (a.domain && a.role !== PLANNER_ROLE && !known.has(a.domain)) {
      known.add(a.domain);
      groups.push({ id: a.domain, label: view.unlistedGroupLabel?.(a.domain) ?? a.domain });
    }
  }
  return groups;
}

/** A group's agents in ledger (dependency) order, with the agent that sums it up (a coordinator), if any, last. */
export function groupAgents(s: LedgerSnapshot, groupId: string): AgentRecord[] {
  const mine = s.agents.filter((a) => a.domain === groupId && a.role !== PLANNER_ROLE);
  const last = viewOf(patternOf(s)).groupSummary;
  return [...mine.filter((a) => a.role !== last), ...mine.filter((a) => a.role === last)];
}

/** Agents that belong to no group (the final step, the consensus, a single agent), planner excluded. */
export function runLevelAgents(s: LedgerSnapshot): AgentRecord[] {
  return s.agents.filter((a) => !a.domain && a.role !== PLANNER_ROLE);
}

/** The planner's own record: every run since patterns has one. */
export function plannerOf(s: LedgerSnapshot): AgentRecord | undefined {
  return s.agents.find((a) => a.role === PLANNER_ROLE);
}

/** The agent that writes the run's answer (summary.md): a final synthesis, a consensus, a single agent. */
export function finalAgentOf(s: LedgerSnapshot): AgentRecord | undefined {
  return s.agents.find((a) => a.outputFile === SUMMARY_FILE && a.role !== PLANNER_ROLE);
}

/** What a pattern declares its runs look like in the views; a name no pattern has shows generically. */
export function viewOf(pattern: string): PatternView {
  return patternNamed(pattern)?.view ?? {};
}

/** The run's shape in a few words, for the Plan node ("4 stages", "250 mappers · 2 reduce levels"), as its pattern declares it. */
export function shapeLine(s: LedgerSnapshot, plan?: AnyPlan): string {
  const groups = groupsOf(s, plan);
  const count = (r: AgentRecord['role']) => s.agents.filter((a) => a.role === r).length;
  return viewOf(patternOf(s, plan)).shape?.(count, groups)
    ?? `${plural(groups.length, 'group')} · ${plural(s.agents.filter((a) => a.role !== PLANNER_ROLE).length, 'agent')}`;
}

/** A group's label as the views show it, as its pattern declares it (fan-out domains keep their letter, pipeline stages their number). */
export function groupLabel(pattern: PatternName, group: AgentGroup, index: number): string {
  return viewOf(pattern).groupLabel?.(group, index) ?? group.label;
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

export function isInFlight(a: AgentRecord, runStatus: RunStatus): boolean {
  return runStatus !== 'interrupted' && IN_FLIGHT.has(a.status);
}
