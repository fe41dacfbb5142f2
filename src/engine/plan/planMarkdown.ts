import type { Plan } from '../patterns/fan-out/plan';
import type { AgentRecord, CostEstimate } from '../types';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

/** plan.md: the plan as a human table, with a box ticked for each agent that completed. */
export function renderPlanMarkdown(plan: Plan, agents: readonly AgentRecord[], estimate: Readonly<CostEstimate> | null): string {
  const byId = new Map(agents.map((a) => [a.id, a]));
  const box = (id: string): string => (byId.get(id)?.status === 'completed' ? '[x]' : '[ ]');
  const lines = [`# Plan: ${cell(plan.task)}`, ''];
  if (plan.summary) lines.push(plan.summary, '');
  if (estimate) {
    lines.push(`Estimate: ${fmtTokens(estimate.tokensLow)}–${fmtTokens(estimate.tokensHigh)} tokens, `
      + `$${estimate.costLowUsd.toFixed(2)}–$${estimate.costHighUsd.toFixed(2)}`, '');
  }
  lines.push('| done | domain | worker | task | tier → model | output |', '| --- | --- | --- | --- | --- | --- |');
  for (const d of plan.domains) {
    for (const w of d.workers) {
      const a = byId.get(w.id);
      lines.push(`| ${box(w.id)} | ${d.id}: ${cell(d.name)} | ${w.id} | ${cell(w.task)} | ${w.tier} → ${a?.modelRequested ?? '?'} | ${a?.outputFile ?? ''} |`);
    }
    const c = agents.find((a) => a.role === 'coordinator' && a.domain === d.id);
    if (c) lines.push(`| ${box(c.id)} | ${d.id}: ${cell(d.name)} | ${c.id} | coordinator | ${c.tier} → ${c.modelRequested} | ${c.outputFile} |`);
  }
  const f = agents.find((a) => a.role === 'final');
  if (f) lines.push(`| ${box(f.id)} | — | final | final synthesis | ${f.tier} → ${f.modelRequested} | ${f.outputFile} |`);
  return lines.join('\n') + '\n';
}

export function fmtTokens(n: number): string {
  return n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}
