/** Renders one run's RunView as DOM. Every string from the host goes in as text or sanitised markdown. */
import type { AgentView, DomainView, RunView, TotalsView } from '../src/shared/protocol';
import { renderMarkdown } from './markdownDom';
import { button, divider, grid, link, spinner, tag } from './toolkit';

export interface Actions {
  approve(runId: string): void;
  decline(runId: string): void;
  cancel(runId: string): void;
  resume(runId: string): void;
  retryFailed(runId: string): void;
  openFile(runId: string, path: string): void;
}

const GLYPH: Record<string, string> = {
  pending: '○', queued: '◔', running: '◐', verifying: '◑', retrying: '↻',
  completed: '✓', failed: '✗', cancelled: '⊘', skipped: '↷', interrupted: '⌁',
};

/** A link to an agent's file only when the file exists; otherwise the same text, plain. */
function fileLink(text: string, file: string, written: boolean, open: (p: string) => void, title?: string): HTMLElement {
  if (written) {
    const a = link(text, () => open(file), title);
    a.dataset.file = file;
    return a;
  }
  const span = h('span', text, 'unwritten');
  span.title = `${file} has not been written`;
  return span;
}

/** A simulated run spent nothing; its money is what the same tokens would cost, said as such. */
const spend = (usdText: string, simulated: boolean): string => (simulated ? `would cost ${usdText}` : usdText);

function h(tag: string, text?: string, className?: string): HTMLElement {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
}

function section(title: string, id: string, ...children: Node[]): HTMLElement {
  const s = h('section', undefined, 'section');
  s.id = id;
  s.append(h('h3', title), ...children);
  return s;
}

const tokens = (n: number): string => (n < 1000 ? String(n) : n < 1e6 ? `${(n / 1000).toFixed(1)}k` : `${(n / 1e6).toFixed(2)}M`);
const usd = (n: number): string => (n === 0 ? '$0' : n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`);
const duration = (ms: number): string => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`);

export function renderEmpty(): Node {
  const d = h('div', undefined, 'empty');
  d.append(h('p', 'No run to show yet.'), h('p', 'Run “Orchestration: Orchestrate Task” from the Command Palette. The plan appears here for approval, then each domain’s findings and the final summary.', 'muted'));
  return d;
}

export function renderRun(run: RunView, act: Actions): Node {
  const root = document.createDocumentFragment();
  const open = (p: string) => act.openFile(run.runId, p);

  const header = h('header', undefined, 'run-header');
  const title = h('h2', run.task, 'task');
  title.id = 'run-task';
  const meta = h('div', undefined, 'meta');
  const status = tag(run.status, `status status-${run.status}`);
  status.id = 'run-status';
  meta.append(status);
  if (run.status === 'running' || run.status === 'planning') meta.append(spinner());
  if (run.simulated) meta.append(tag('simulated', 'simulated'));
  meta.append(h('span', run.runId, 'muted run-id'));
  header.append(title, meta);
  if (run.reason) header.append(h('p', run.reason, 'reason'));
  const buttons = h('div', undefined, 'actions');
  if (run.actions.approve) buttons.append(button('Approve', () => act.approve(run.runId), 'primary', 'approve'));
  if (run.actions.decline) buttons.append(button('Decline', () => act.decline(run.runId), 'secondary', 'decline'));
  if (run.actions.cancel) buttons.append(button('Cancel Run', () => act.cancel(run.runId), 'secondary', 'cancel'));
  if (run.actions.resume) buttons.append(button('Resume', () => act.resume(run.runId), 'secondary', 'resume'));
  if (run.actions.retry) buttons.append(button('Retry Failed Agents', () => act.retryFailed(run.runId), 'secondary', 'retry'));
  if (buttons.childElementCount) header.append(buttons);
  root.append(header);

  // A declined plan shows what was turned down and nothing else: none of its agents ever ran.
  if (run.status === 'awaiting-approval' || run.status === 'declined') {
    root.append(renderPlan(run, open));
  } else {
    if (run.domains.length) root.append(section('Domains', 'domains', ...run.domains.map((d) => renderDomain(d, open))));
    if (run.final) root.append(renderFinal(run, run.final, open));
  }
  if (run.gaps.length) root.append(renderGaps(run, open));
  root.append(divider(), renderTotals(run.totals, run.simulated));
  return root;
}

function renderPlan(run: RunView, open: (p: string) => void): Node {
  const parts: Node[] = [];
  if (run.planSummary) {
    const summary = h('div', undefined, 'markdown');
    summary.append(renderMarkdown(run.planSummary, open));
    parts.push(summary);
  }
  if (run.estimate) {
    const e = run.estimate;
    const range = `${usd(e.costLowUsd)}–${usd(e.costHighUsd)}`;
    const est = h('p', `Estimate: ${tokens(e.tokensLow)}–${tokens(e.tokensHigh)} tokens, ${run.simulated ? `${range} if run for real` : range}`, 'estimate');
    est.id = 'estimate';
    parts.push(est);
    if (run.simulated) parts.push(h('p', 'Simulated provider: nothing is spent. The range is what the same run would cost on the API at the configured prices.', 'muted simulated-note'));
  }
  const rows: Array<Array<Node | string>> = [];
  for (const d of run.domains) {
    for (const w of [...d.workers, ...(d.coordinator ? [d.coordinator] : [])]) {
      rows.push([`${d.id.toUpperCase()} · ${d.name}`, w.id, w.task, `${w.tier} → ${w.model}`, fileLink(w.outputFile, w.outputFile, w.written, open)]);
    }
  }
  if (run.final) rows.push(['—', run.final.id, run.final.task, `${run.final.tier} → ${run.final.model}`, fileLink(run.final.outputFile, run.final.outputFile, run.final.written, open)]);
  const table = grid(['Domain', 'Worker', 'Task', 'Tier → model', 'Output file'], rows, '130px 84px minmax(220px, 3fr) 190px 130px');
  table.id = 'plan-table';
  const declined = run.status === 'declined';
  parts.push(table, h('p', declined
    ? 'You declined this plan, so none of these agents ran. Orchestrate Task plans the work again.'
    : 'Approve runs every agent above under the configured caps; Decline records the plan as declined and runs nothing. Nothing has run yet.', 'muted'));
  return section(declined ? 'Declined plan' : 'Plan', 'plan', ...parts);
}

function agentLine(a: AgentView, open: (p: string) => void): HTMLElement {
  const li = h('li', undefined, `agent status-${a.status}`);
  li.append(h('span', GLYPH[a.status] ?? '•', 'glyph'), fileLink(a.id, a.outputFile, a.written, open, a.outputFile), h('span', ` ${a.task}`, 'agent-task'));
  li.title = a.error ?? a.returned ?? a.status;
  return li;
}

function renderDomain(d: DomainView, open: (p: string) => void): Node {
  const card = h('article', undefined, 'card');
  card.dataset.domain = d.id;
  const head = h('div', undefined, 'card-head');
  head.append(h('h4', `${d.id.toUpperCase()} · ${d.name}`), tag(`${d.done}/${d.total}`));
  card.append(head);
  const c = d.coordinator;
  if (c) {
    const body = h('div', undefined, 'markdown coordinator');
    if (c.returned) body.append(renderMarkdown(c.returned, open));
    else body.append(h('p', c.status === 'failed' ? `Coordinator failed: ${c.error ?? 'no reason recorded'}` : `Coordinator ${c.status}.`, 'muted'));
    card.append(body);
    if (c.written) card.append(fileLink(`Open synthesis (${c.outputFile})`, c.outputFile, true, open));
  }
  const list = h('ul', undefined, 'agents');
  list.append(...d.workers.map((w) => agentLine(w, open)));
  card.append(list);
  return card;
}

function renderFinal(run: RunView, final: AgentView, open: (p: string) => void): Node {
  const body = h('div', undefined, 'markdown final');
  body.id = 'final-summary';
  const text = run.finalSummary ?? final.returned;
  if (text) body.append(renderMarkdown(text, open));
  else body.append(h('p', final.status === 'failed' ? `The final synthesis failed: ${final.error ?? ''}` : `Final synthesis ${final.status}.`, 'muted'));
  return section('Final summary', 'final', body, ...(final.written ? [fileLink(`Open ${final.outputFile}`, final.outputFile, true, open)] : []));
}

function renderGaps(run: RunView, open: (p: string) => void): Node {
  const list = h('ul', undefined, 'gaps');
  for (const g of run.gaps) {
    const li = h('li');
    li.append(fileLink(g.agentId, g.outputFile, g.written, open, g.outputFile), h('span', ` — ${g.reason}`));
    list.append(li);
  }
  return section(`Gaps and failures (${run.gaps.length})`, 'gaps', list);
}

function renderTotals(t: TotalsView, simulated: boolean): Node {
  const dl = h('dl', undefined, 'totals');
  const row = (k: string, v: string) => dl.append(h('dt', k), h('dd', v));
  const byStatus = Object.entries(t.agentsByStatus).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(' · ');
  row('Agents', byStatus || 'none');
  row('Tokens', `in ${tokens(t.usage.input)} · out ${tokens(t.usage.output)} · cache read ${tokens(t.usage.cacheRead)} · cache write ${tokens(t.usage.cacheWrite)}`);
  const byModel = Object.keys(t.costByModel).length ? ` (${Object.entries(t.costByModel).map(([m, c]) => `${m} ${usd(c)}`).join(', ')})` : '';
  row(simulated ? 'Would cost' : 'Cost', `${spend(usd(t.costUsd), simulated)}${byModel}${simulated ? ' — simulated, nothing was spent' : ''}`);
  const ratio = t.parentContextTokens > 0 && t.flatBaselineTokens > 0 ? ` — ${(t.flatBaselineTokens / t.parentContextTokens).toFixed(1)}× less` : '';
  row('Parent context', `${tokens(t.parentContextTokens)} tokens vs ${tokens(t.flatBaselineTokens)} in a flat fan-out${ratio}`);
  row('Wall time', t.wallMs ? duration(t.wallMs) : '—');
  return section('Totals', 'totals', dl);
}
