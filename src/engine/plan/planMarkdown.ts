import { trustNotes } from '../trust/notes';
import { DEFAULT_PATTERN, PLANNER_ROLE, SENTINEL, type AgentRecord, type LedgerSnapshot } from '../types';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

/**
 * plan.md, the planner's output file (so it ends with the sentinel like every finished agent's):
 * the plan as a human table, whatever its pattern: agents in their groups' order (run-level
 * agents such as the final step last), with a box ticked for each agent that completed. The planner's
 * own record is the header, not a row: it ran before the plan existed.
 */
export function renderPlanMarkdown(s: Pick<LedgerSnapshot, 'task' | 'pattern' | 'patternReason' | 'groups' | 'agents' | 'estimate' | 'workspaceCommand' | 'ignoredSettings'>): string {
  const lines = [`# Plan: ${cell(s.task)}`, ''];
  lines.push(`Pattern: **${s.pattern ?? DEFAULT_PATTERN}**${s.patternReason ? ` — ${s.patternReason}` : ''}`, '');
  const e = s.estimate;
  if (e) {
    lines.push(`Estimate: ${fmtTokens(e.tokensLow)}–${fmtTokens(e.tokensHigh)} tokens, $${e.costLowUsd.toFixed(2)}–$${e.costHighUsd.toFixed(2)}`, '');
  }
  for (const note of trustNotes(s)) lines.push(`> **Note:** ${note}`, '');
  lines.push('| done | group | agent | role | task | tier → model | output |', '| --- | --- | --- | --- | --- | --- | --- |');
  const label = new Map((s.groups ?? []).map((g) => [g.id, `${g.id}: ${cell(g.label)}`]));
  const row = (a: AgentRecord): string =>
    `| ${a.status === 'completed' ? '[x]' : '[ ]'} | ${a.domain ? label.get(a.domain) ?? a.domain : '—'} | ${a.id}${a.agentDefinition ? ` (@${a.agentDefinition})` : ''} | ${a.role} | ${cell(a.task)} | ${a.tier} → ${a.modelRequested}${a.batch ? ' (batch)' : ''} | ${a.outputFile} |`;
  const agents = s.agents.filter((a) => a.role !== PLANNER_ROLE);
  for (const g of s.groups ?? []) for (const a of agents) if (a.domain === g.id) lines.push(row(a));
  for (const a of agents) if (!a.domain || !label.has(a.domain)) lines.push(row(a));
  const notes = agentDefinitionNotes(agents);
  if (notes.length) lines.push('', ...notes.map((n) => `> **Note:** ${cell(n)}`));
  lines.push('', SENTINEL);
  return lines.join('\n') + '\n';
}

/**
 * One line per agent whose definition asked for what it does not get, or runs on another tier
 * than planned: `a1 (@api-reviewer): Bash not given: no tool runs a shell here`.
 */
export function agentDefinitionNotes(agents: readonly Pick<AgentRecord, 'id' | 'agentDefinition' | 'agentNotes'>[]): string[] {
  return agents.filter((a) => a.agentDefinition && a.agentNotes?.length)
    .map((a) => `${a.id} (@${a.agentDefinition}): ${a.agentNotes!.join('; ')}`);
}

export function fmtTokens(n: number): string {
  return n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}
