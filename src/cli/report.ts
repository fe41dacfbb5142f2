import * as path from 'node:path';
import { agentDefinitionNotes, fmtTokens, redactText, trustNotes, type AgentRecord, type LedgerSnapshot, type Run, type RunOutcome } from '../engine';
import { runProgress } from '../engine/ledger/progress';
import { plural } from '../shared/words';
import { commandLine, shownPath } from './hint';

/** A table cell: the text cut on a word boundary to fit, padded to the width. */
const pad = (s: string, n: number): string => cutWords(oneLine(s), n).padEnd(n);

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
    rows.push(`${pad(group, 22)} ${pad(a.id, 8)} ${pad(a.role, 12)} ${pad(`${a.agentDefinition ? `@${a.agentDefinition} ` : ''}${a.task}`, 48)} ${pad(`${a.tier} → ${a.modelRequested}${a.batch ? ' (batch)' : ''}`, 28)} ${a.outputFile}`);
  }
  const batched = agents.filter((a) => a.batch).length;
  if (batched) rows.push('', `${plural(batched, 'agent')} ${batched === 1 ? 'goes' : 'go'} to a Message Batch: half the price, answered within 24 h (the estimate counts them at the batch rate).`);
  const byRole = new Map<string, number>();
  for (const a of agents) byRole.set(a.role, (byRole.get(a.role) ?? 0) + 1);
  const e = ledger.estimate;
  rows.push('', `${plural(run.groups.length, 'group')}; ${[...byRole].map(([role, n]) => plural(n, role)).join(', ')}.`);
  const range = e ? `$${e.costLowUsd.toFixed(2)}–$${e.costHighUsd.toFixed(2)}` : '';
  if (e && ledger.simulated) rows.push(`Estimate: ${fmtTokens(e.tokensLow)}–${fmtTokens(e.tokensHigh)} tokens; ${range} if run for real (simulated: nothing is spent).`);
  else if (e) rows.push(`Estimate: ${fmtTokens(e.tokensLow)}–${fmtTokens(e.tokensHigh)} tokens, ${range}.`);
  for (const note of trustNotes(ledger.snapshot())) rows.push(`Note: ${note}`);
  for (const note of agentDefinitionNotes(agents)) rows.push(`Note: ${note}`);
  return rows.join('\n');
}

/**
 * One progress line: agents done/total (runProgress: the planner is not counted, failed ones are
 * not done), running, failed, tokens, cost. It reads the live records and totals, not a snapshot:
 * it is drawn every second, and a snapshot copies every agent.
 */
export function progressLine(run: { agents: readonly Pick<AgentRecord, 'id' | 'status'>[]; totals: Readonly<LedgerSnapshot['totals']> }, elapsedMs: number, simulated = false): string {
  const p = runProgress(run.agents);
  const u = run.totals.usage;
  const tokens = u.input + u.output + u.cacheRead + u.cacheWrite;
  const apart = [p.failed && `${p.failed} failed`, p.cancelled && `${p.cancelled} cancelled`, p.skipped && `${p.skipped} skipped`].filter(Boolean);
  return `[${(elapsedMs / 1000).toFixed(0)}s] ${p.done}/${p.total} done · ${p.active} running · ${apart.length ? apart.join(' · ') : '0 failed'} · `
    + `${fmtTokens(tokens)} tok · ${money(run.totals.costUsd, simulated)}`;
}

export function finalReport(run: Run, outcome: RunOutcome, workspace: string): string {
  // Paths the user can paste from where they stand (npm run demo is started from the repo root).
  const rel = (p: string): string => shownPath(path.resolve(workspace, p));
  const t = outcome.totals;
  const simulated = run.ledger.simulated;
  const lines = [`Run ${run.id}: ${outcome.status}${outcome.reason ? ` — ${outcome.reason}` : ''}`];
  if (outcome.summaryPath) lines.push(`Summary: ${rel(outcome.summaryPath)}`);
  const view = run.pattern.view;
  const synth = view.groupSummary ? run.ledger.agents.filter((a) => a.role === view.groupSummary && a.status === 'completed') : [];
  if (synth.length) lines.push(`Synthesis: ${synth.map((a) => rel(path.join(run.dir, a.outputFile))).join(', ')}`);
  const assembly = view.changeSteps?.assembly;
  const assembled = assembly ? run.ledger.agents.find((a) => a.role === assembly && a.status === 'completed') : undefined;
  if (assembled) {
    lines.push(`Changes: ${assembled.returned ?? ''} Nothing was written to your working tree.`,
      `  review:  ${commandLine(['diff', run.id], workspace)}`,
      `  apply:   ${commandLine(['apply', run.id], workspace)}`,
      `  discard: ${commandLine(['discard', run.id], workspace)}`,
      '  (diff --stat lists the files; apply --file PATH applies one of them)');
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

/** A run as one line: id, status, done/total (runProgress), failed apart, cost, task. */
export function statusLine(s: LedgerSnapshot): string {
  const p = runProgress(s.agents);
  const count = `${String(p.done).padStart(3)}/${String(p.total).padEnd(3)}`;
  const failed = p.failed ? `${p.failed} failed` : '';
  return `${s.runId}  ${pad(s.status, 18)} ${count} ${failed.padEnd(9)} ${money(s.totals.costUsd, s.simulated).padEnd(20)} ${oneLine(s.task)}`;
}

/** `orchestrate status`: a line per Message Batch of the run with its counts, and the faults it met. */
export function batchLines(s: LedgerSnapshot): string[] {
  const lines: string[] = [];
  for (const b of s.batches ?? []) {
    const counts = Object.entries(b.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
    lines.push(`  ${b.id}  ${pad(b.status, 11)} ${plural(b.requests.length, 'request')}${counts ? `: ${counts}` : ''}`);
    for (const note of b.notes) lines.push(`    ${oneLine(note)}`);
  }
  return lines.length ? ['', 'Batches:', ...lines] : [];
}

/** Text as one line: whitespace runs (newlines too) become one space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Text cut to `width` characters on a word boundary, with an ellipsis when cut. It is redacted
 * first: half a secret is no longer recognisable as one once cut, so the print-time redaction
 * would let its start through.
 */
export function cutWords(raw: string, width: number): string {
  const text = redactText(raw);
  if (text.length <= width) return text;
  const room = text.slice(0, Math.max(1, width - 1));
  const space = room.lastIndexOf(' ');
  return `${(space > width / 2 ? room.slice(0, space) : room).trimEnd()}…`;
}
