import * as path from 'node:path';
import { fmtTokens, relativeInside, type LedgerSnapshot, type Plan, type Run, type RunOutcome, type RunTotals } from '../engine';

const pad = (s: string, n: number): string => (s.length > n ? s.slice(0, n - 1) + '…' : s.padEnd(n));

/** The plan as a table: domain, worker, task, tier → model, output file. */
export function planTable(run: Run): string {
  const ledger = run.ledger;
  const plan: Plan = run.plan;
  const rows = [`${pad('domain', 22)} ${pad('worker', 8)} ${pad('task', 52)} ${pad('tier → model', 28)} output`];
  for (const d of plan.domains) {
    for (const w of d.workers) {
      const a = ledger.get(w.id)!;
      rows.push(`${pad(`${d.id}: ${d.name}`, 22)} ${pad(w.id, 8)} ${pad(w.task, 52)} ${pad(`${w.tier} → ${a.modelRequested}`, 28)} ${a.outputFile}`);
    }
  }
  const workers = ledger.agents.filter((a) => a.role === 'worker').length;
  const e = ledger.estimate;
  rows.push('', `${plan.domains.length} domains, ${workers} workers, ${plan.domains.length} coordinators, 1 final synthesis.`);
  if (e) rows.push(`Estimate: ${fmtTokens(e.tokensLow)}–${fmtTokens(e.tokensHigh)} tokens, $${e.costLowUsd.toFixed(2)}–$${e.costHighUsd.toFixed(2)}.`);
  return rows.join('\n');
}

/**
 * One progress line: agents done/total, running, failed, tokens, cost. It reads the live totals,
 * not a snapshot: it is drawn every second, and a snapshot copies every agent.
 */
export function progressLine(totals: Readonly<RunTotals>, agentCount: number, elapsedMs: number): string {
  const s = totals.agentsByStatus;
  const done = s.completed + s.failed + s.cancelled + s.skipped;
  const u = totals.usage;
  const tokens = u.input + u.output + u.cacheRead + u.cacheWrite;
  return `[${(elapsedMs / 1000).toFixed(0)}s] ${done}/${agentCount} done · ${s.running + s.verifying} running · ${s.failed} failed · `
    + `${fmtTokens(tokens)} tok · $${totals.costUsd.toFixed(4)}`;
}

export function finalReport(run: Run, outcome: RunOutcome, workspace: string): string {
  // Paths the user can paste from where they stand: relative to the current folder when inside
  // it (npm run demo is started from the repo root), absolute otherwise.
  const rel = (p: string): string => {
    const r = relativeInside(process.cwd(), p);
    return r ? r.split('/').join(path.sep) : path.resolve(workspace, p);
  };
  const t = outcome.totals;
  const lines = [`Run ${run.id}: ${outcome.status}${outcome.reason ? ` — ${outcome.reason}` : ''}`];
  if (outcome.summaryPath) lines.push(`Summary: ${rel(outcome.summaryPath)}`);
  const synth = run.ledger.agents.filter((a) => a.role === 'coordinator' && a.status === 'completed');
  if (synth.length) lines.push(`Synthesis: ${synth.map((a) => rel(path.join(run.dir, a.outputFile))).join(', ')}`);
  if (outcome.gaps.length) {
    lines.push(`Gaps (${outcome.gaps.length}):`);
    for (const g of outcome.gaps) lines.push(`  - ${g.agentId} (${rel(path.join(run.dir, g.outputFile))}): ${g.reason}`);
  }
  lines.push(
    `Totals: ${t.requests} requests, ${fmtTokens(t.usage.input)} in / ${fmtTokens(t.usage.output)} out / `
    + `${fmtTokens(t.usage.cacheRead)} cache read / ${fmtTokens(t.usage.cacheWrite)} cache write, $${t.costUsd.toFixed(4)}, `
    + `${(t.wallMs / 1000).toFixed(1)} s`,
    `Parent context: ${fmtTokens(t.parentContextTokens)} tokens (a flat fan-out would have sent ${fmtTokens(t.flatBaselineTokens)})`,
  );
  return lines.join('\n');
}

export function statusLine(s: LedgerSnapshot): string {
  const done = s.totals.agentsByStatus.completed;
  return `${s.runId}  ${pad(s.status, 18)} ${String(done).padStart(3)}/${String(s.agents.length).padEnd(3)} $${s.totals.costUsd.toFixed(4).padEnd(9)} ${s.task}`;
}
