/**
 * Reading a run's shape (its pattern's groups and their agents) from a snapshot. No vscode import,
 * so the Summary's pure model can use it. The engine puts the groups in the ledger; the views only
 * fall back to the plan or to the agents' `domain` ids for ledgers written before it did.
 */
import { isFanOutPlan, patternNamed, SUMMARY_FILE, type AgentGroup, type AgentRecord, type AgentStatus, type AnyPlan, type LedgerSnapshot, type PatternName, type RunStatus } from '../../engine';

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
  return s.pattern ?? plan?.pattern ?? 'fan-out';
}

/**
 * The groups in display order: the ledger's, else the fan-out plan's domains, then any `domain`
 * id an agent names that neither lists (first-seen order), so no agent is ever left out.
 */
export function groupsOf(s: LedgerSnapshot, plan?: AnyPlan): AgentGroup[] {
  const groups: AgentGroup[] = s.groups?.length ? [...s.groups]
    : plan && isFanOutPlan(plan) ? plan.domains.map((d) => ({ id: d.id, label: d.name }))
    : [];
  const known = new Set(groups.map((g) => g.id));
  const fanOut = patternOf(s, plan) === 'fan-out';
  for (const a of s.agents) {
    if (a.domain && a.role !== 'planner' && !known.has(a.domain)) {
      known.add(a.domain);
      groups.push({ id: a.domain, label: fanOut ? `Domain ${a.domain}` : a.domain });
    }
  }
  return groups;
}

/** A group's agents in ledger (dependency) order, with its coordinator, if any, last. */
export function groupAgents(s: LedgerSnapshot, groupId: string): AgentRecord[] {
  const mine = s.agents.filter((a) => a.domain === groupId && a.role !== 'planner');
  return [...mine.filter((a) => a.role !== 'coordinator'), ...mine.filter((a) => a.role === 'coordinator')];
}

/** Agents that belong to no group (the final step, the consensus, a single agent), planner excluded. */
export function runLevelAgents(s: LedgerSnapshot): AgentRecord[] {
  return s.agents.filter((a) => !a.domain && a.role !== 'planner');
}

/** The planner's own record: every run since patterns has one. */
export function plannerOf(s: LedgerSnapshot): AgentRecord | undefined {
  return s.agents.find((a) => a.role === 'planner');
}

/** The agent that writes the run's answer (summary.md): a final synthesis, a consensus, a single agent. */
export function finalAgentOf(s: LedgerSnapshot): AgentRecord | undefined {
  return s.agents.find((a) => a.outputFile === SUMMARY_FILE && a.role !== 'planner');
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The run's shape in a few words, for the Plan node ("4 stages", "250 mappers · 2 reduce levels"). */
export function shapeLine(s: LedgerSnapshot, plan?: AnyPlan): string {
  const pattern = patternOf(s, plan);
  const groups = groupsOf(s, plan);
  const role = (r: AgentRecord['role']) => s.agents.filter((a) => a.role === r).length;
  switch (pattern) {
    case 'fan-out': return `${plural(groups.length, 'domain')} · ${plural(role('worker'), 'worker')}`;
    case 'pipeline': return plural(role('stage'), 'stage');
    case 'map-reduce': return `${plural(role('mapper'), 'mapper')} · ${plural(groups.filter((g) => g.id !== 'map').length, 'reduce level')}`;
    case 'supervisor': return `${plural(role('supervisor'), 'round')} · ${plural(role('worker'), 'worker')}`;
    case 'panel': return plural(role('expert'), 'expert');
    case 'single': return 'one agent';
    case 'build': return `${plural(role('scout'), 'scout')} · ${plural(role('builder'), 'builder')}`;
    default: return `${plural(groups.length, 'group')} · ${plural(s.agents.filter((a) => a.role !== 'planner').length, 'agent')}`;
  }
}

/** A group's label as the views show it: fan-out domains keep their letter, pipeline stages their number. */
export function groupLabel(pattern: PatternName, group: AgentGroup, index: number): string {
  if (pattern === 'fan-out') return group.label.startsWith('Domain ') ? group.label : `${group.id.toUpperCase()} · ${group.label}`;
  if (pattern === 'pipeline') return `${index + 1}. ${group.label}`;
  return group.label;
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
