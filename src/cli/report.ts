import * as path from 'node:path';
import { fmtTokens, relativeInside, trustNotes, type LedgerSnapshot, type Run, type RunOutcome, type RunTotals } from '../engine';

const pad = (s: string, n: number): string => (s.length > n ? s.slice(0, n - 1) + '…' : s.padEnd(n));

/**
 * Money as spent, or for a simulated run what the same tokens would cost: a simulated run spends
 * nothing, and its cost is never printed as if it had been.
 */
export function money(usd: number, simulated: boolean, digits = 4): string {
  const amount = `$${usd.toFixed(digits)}`;
  return simulated ? `would cost ${amount}` : amount;
}

/** The plan as a table, whatever its pattern: group, agent, role, task, tier → model, output file. */
export function planTable(run: Run): string {
  const ledger = run.ledger;
  const agents = ledger.agents.filter((a) => a.role !== 'planner');
  const label = new Map(run.groups.map((g) => [g.id, `${g.id}: ${g.label}`]));
  const rows = [
    `Pattern: ${run.pattern.name}${run.plan.reason ? ` — ${run.plan.reason}` : ''}`, '',
    `${pad('group', 22)} ${pad('agent', 8)} ${pad('role', 12)} ${pad('task', 48)} ${pad('tier → model', 28)} output`,
  ];
  for (const a of agents) {
    const group = a.domain ? label.get(a.domain) ?? a.domain : '—';
    rows.push(`${pad(group, 22)} ${pad(a.id, 8)} ${pad(a.role, 12)} ${pad(a.task, 48)} ${pad(`${a.tier} → ${a.modelRequested}`, 28)} ${a.outputFile}`);
  }
  const byRole = new Map<string, number>();
  for (const a of agents) byRole.set(a.role, (byRole.get(a.role) ?? 0) + 1);
  const e = ledger.estimate;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  rows.push('', `${plural(run.groups.length, 'group')}; ${[...byRole].map(([role, n]) => plural(n, role)).join(', ')}.`);
  const range = e ? `$${e.costLowUsd.toFixed(2)}–$${e.costHighUsd.toFixed(2)}` : '';
  if (e && ledger.simulated) rows.push(`Estimate: ${fmtTokens(e.tokensLow)}–${fmtTokens(e.tokensHigh)} tokens; ${range} if run for real (simulated: nothing is spent).`);
  else if (e) rows.push(`Estimate: ${fmtTokens(e.tokensLow)}–${fmtTokens(e.tokensHigh)} tokens, ${range}.`);
  for (const note of trustNotes(ledger.snapshot())) rows.push(`Note: ${note}`);
  return rows.join('\n');
}

/**
 * One progress line: agents done/total, running, failed, tokens, cost. It reads the live totals,
 * not a snapshot: it is drawn every second, and a snapshot copies every agent.
 */
export function progressLine(totals: Readonly<RunTotals>, agentCount: number, elapsedMs: number, simulated = false): string {
  const s = totals.agentsByStatus;
  const done = s.completed + s.failed + s.cancelled + s.skipped;
  const u = totals.usage;
  const tokens = u.input + u.output + u.cacheRead + u.cacheWrite;
  return `[${(elapsedMs / 1000).toFixed(0)}s] ${done}/${agentCount} done · ${s.running + s.verifying} running · ${s.failed} failed · `
    + `${fmtTokens(tokens)} tok · ${money(totals.costUsd, simulated)}`;
}

export function finalReport(run: Run, outcome: RunOutcome, workspace: string): string {
  // Paths the user can paste from where they stand: relative to the current folder when inside
  // it (npm run demo is started from the repo root), absolute otherwise.
  const rel = (p: string): string => {
    const r = relativeInside(process.cwd(), p);
    return r ? r.split('/').join(path.sep) : path.resolve(workspace, p);
  };
  const t = outcome.totals;
  const simulated = run.ledger.simulated;
  const lines = [`Run ${run.id}: ${outcome.status}${outcome.reason ? ` — ${outcome.reason}` : ''}`];
  if (outcome.summaryPath) lines.push(`Summary: ${rel(outcome.summaryPath)}`);
  const synth = run.ledger.agents.filter((a) => a.role === 'coordinator' && a.status === 'completed');
  if (synth.length) lines.push(`Synthesis: ${synth.map((a) => rel(path.join(run.dir, a.outputFile))).join(', ')}`);
  const assembled = run.pattern.name === 'build' ? run.ledger.agents.find((a) => a.role === 'final' && a.status === 'completed') : undefined;
  if (assembled) {
    const where = path.resolve(workspace) === process.cwd() ? '' : ` --workspace ${workspace}`;
    lines.push(`Changes: ${assembled.returned ?? ''} Nothing was written to your working tree.`,
      `  review:  orchestrate diff ${run.id}${where} [--stat]`, `  apply:   orchestrate apply ${run.id}${where} [--file PATH]`,
      `  discard: orchestrate discard ${run.id}${where}`);
  }
  if (outcome.gaps.length) {
    lines.push(`Gaps (${outcome.gaps.length}):`);
    for (const g of outcome.gaps) lines.push(`  - ${g.agentId} (${rel(path.join(run.dir, g.outputFile))}): ${g.reason}`);
  }
  lines.push(
    `Totals: ${t.requests} requests, ${fmtTokens(t.usage.input)} in / ${fmtTokens(t.usage.output)} out / `
    + `${fmtTokens(t.usage.cacheRead)} cache read / ${fmtTokens(t.usage.cacheWrite)} cache write, ${money(t.costUsd, simulated)}, `
    + `${(t.wallMs / 1000).toFixed(1)} s`,
    ...(simulated ? ['Simulated: nothing was spent; the cost is what the same tokens would cost on the API at the configured prices.'] : []),
  );
  // Only patterns whose last step reads summaries rather than every report measure this.
  if (t.parentContextTokens > 0) {
    lines.push(`Parent context: ${fmtTokens(t.parentContextTokens)} tokens (reading every report instead would have sent ${fmtTokens(t.flatBaselineTokens)})`);
  }
  return lines.join('\n');
}

export function statusLine(s: LedgerSnapshot): string {
  const done = s.totals.agentsByStatus.completed;
  return `${s.runId}  ${pad(s.status, 18)} ${String(done).padStart(3)}/${String(s.agents.length).padEnd(3)} ${money(s.totals.costUsd, s.simulated).padEnd(20)} ${s.task}`;
}
