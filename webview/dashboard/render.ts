/**
 * Renders the run dashboard: header tiles and run-level buttons, the board (runs with builders) or
 * the timeline, the build pipeline's outcome, spend by model and by role, context, gaps.
 */
import type { BatchView, DashboardView, SpendRow } from '../../src/shared/dashboardProtocol';
import { barChart, statusStrip } from '../charts';
import { clickable, h, section } from '../dom';
import { clock, tokens, usd } from '../format';
import { runTitle } from '../runTitle';
import { plural } from '../../src/shared/words';
import { button, tag } from '../toolkit';
import { renderPipelineStatus } from '../pipeline';
import { renderBoard } from './board';
import { renderTimeline, type TimelineActions } from './timeline';

export interface DashboardActions extends TimelineActions {
  openFile(path: string): void;
  showSummary(): void;
  /** Fix Findings on this run (a finished audit). */
  fixFindings(): void;
  shipToBranch(): void;
  /** Switches between the board and the timeline (the page keeps which one is shown). */
  showTab(tab: DashboardTab): void;
}

export type DashboardTab = 'board' | 'timeline';

/** What the page itself remembers between states: the tab shown, and the cards that just changed column. */
export interface DashboardUi {
  tab: DashboardTab;
  moved: ReadonlySet<string>;
}

const DEFAULT_UI: DashboardUi = { tab: 'board', moved: new Set() };

const sum = (u: SpendRow['tokens']): number => u.input + u.output + u.cacheRead + u.cacheWrite;

function tile(label: string, value: string, id: string, detail?: Node): HTMLElement {
  const t = h('div', undefined, 'tile');
  t.id = id;
  t.append(h('div', label, 'tile-label'), h('div', value, 'tile-value'));
  if (detail) t.append(detail);
  return t;
}

/**
 * The run-level buttons, one per field of `v.actions` that is true. A new one (Fix Findings, Ship
 * to Branch) is a field in DashboardActionsSchema, a message, and a line here.
 */
function runActions(v: DashboardView, act: DashboardActions): HTMLElement | null {
  const bar = h('div', undefined, 'actions run-actions');
  bar.id = 'run-actions';
  if (v.actions.showSummary) bar.append(button('Show in Summary', () => act.showSummary(), 'secondary', 'show-summary'));
  if (v.fixFindings) bar.append(button('Fix Findings', () => act.fixFindings(), 'secondary', 'fix-findings'));
  if (v.actions.shipToBranch) bar.append(button('Ship to Branch', () => act.shipToBranch(), 'secondary', 'ship-to-branch'));
  return bar.childElementCount ? bar : null;
}

function header(v: DashboardView, act: DashboardActions): HTMLElement {
  const head = h('header', undefined, 'panel-header');
  const extras: Node[] = [tag(v.pattern, 'pattern-tag')];
  if (v.simulated) extras.push(tag('simulated', 'simulated'));
  if (v.live) extras.push(h('span', 'live', 'live-dot'));
  head.append(...runTitle(v, v.status, extras));

  const p = v.progress;
  const tiles = h('div', undefined, 'tiles');
  const agents = tile('Agents done', `${p.done}/${p.total}`, 'tile-agents', statusStrip(v.byStatus));
  agents.title = Object.entries(v.byStatus).filter(([, n]) => n > 0).map(([st, n]) => `${n} ${st}`).join(' · ');
  tiles.append(
    agents,
    tile('At work', String(p.active), 'tile-flight'),
    tile('Tokens', tokens(sum(v.usage)), 'tile-tokens'),
    tile(v.simulated ? 'Would cost' : 'Cost', usd(v.costUsd), 'tile-cost'),
    tile(v.live ? 'Elapsed' : 'Span', v.startedAt ? clock(v.spanMs) : '—', 'tile-span'),
    tile('Gaps', String(v.gaps.length), 'tile-gaps'),
  );
  // Batches still working: how many of their requests are answered (an hour or more can pass at one count).
  const open = v.batches.filter((b) => b.status !== 'collected');
  if (open.length) {
    const t = tile(open.length === 1 ? 'Batch' : `${open.length} batches`, `${open.reduce((n, b) => n + b.answered, 0)}/${open.reduce((n, b) => n + b.requests, 0)}`, 'tile-batch');
    t.title = 'Requests answered of those in Message Batches not yet collected';
    tiles.append(t);
  }
  head.append(tiles);
  const buttons = runActions(v, act);
  if (buttons) head.append(buttons);
  if (v.simulated) head.append(h('p', 'Simulated run: nothing was spent. Costs are what the same tokens would cost at the configured prices.', 'muted'));
  return head;
}

function spendChart(rows: SpendRow[], id: string, name: (k: string) => string): Node {
  const shown = rows.filter((r) => r.costUsd > 0 || sum(r.tokens) > 0);
  if (!shown.length) return h('p', 'Nothing spent yet.', 'muted');
  return barChart(shown.map((r) => ({
    label: name(r.key),
    value: r.costUsd > 0 ? r.costUsd : sum(r.tokens),
    text: `${usd(r.costUsd)} · ${tokens(sum(r.tokens))} tok · ${plural(r.agents, 'agent')}`,
    title: `${name(r.key)}: in ${tokens(r.tokens.input)} · out ${tokens(r.tokens.output)} · cache read ${tokens(r.tokens.cacheRead)} · cache write ${tokens(r.tokens.cacheWrite)}`,
    className: 'bar-spend',
  })), id);
}

/** The bar fills from the left with what is answered; the words read as the tree and the CLI say them. */
const BATCH_SEGMENTS = ['succeeded', 'errored', 'expired', 'canceled', 'processing'] as const;
const BATCH_WORDS = ['processing', 'succeeded', 'errored', 'expired', 'canceled'] as const;
const BATCH_STATUS: Record<BatchView['status'], string> = { in_progress: 'processing', canceling: 'canceling', ended: 'ended, collecting', collected: 'collected' };

/** One row per Message Batch: its id, status, a bar of its counts, the counts in words, and the faults it met. */
function batches(v: DashboardView): Node {
  const list = h('ul', undefined, 'batches');
  for (const b of v.batches) {
    const li = h('li', undefined, `batch batch-${b.status}`);
    li.dataset.batchId = b.id;
    const id = h('code', b.short, 'batch-id');
    id.title = `${b.id}, submitted ${b.submittedAt}`;
    const bar = h('div', undefined, 'batch-bar');
    bar.setAttribute('role', 'img');
    const words = BATCH_WORDS.filter((k) => b.counts[k] > 0).map((k) => `${b.counts[k]} ${k}`).join(', ');
    bar.setAttribute('aria-label', words || `${b.requests} requests`);
    bar.title = words;
    for (const k of BATCH_SEGMENTS) {
      if (!b.counts[k] || !b.requests) continue;
      const seg = h('span', undefined, `batch-seg seg-${k}`);
      seg.style.width = `${(100 * b.counts[k]) / b.requests}%`;
      bar.append(seg);
    }
    const head = h('div', undefined, 'batch-head');
    head.append(id, tag(BATCH_STATUS[b.status], 'batch-status'), h('span', `${b.answered}/${b.requests}`, 'batch-answered'));
    li.append(head, bar, h('div', words, 'batch-counts muted'));
    if (b.notes.length) {
      const notes = h('ul', undefined, 'batch-notes');
      for (const n of b.notes) notes.append(h('li', n));
      li.append(notes);
    }
    list.append(li);
  }
  if (v.batchesMore) list.append(h('li', `and ${plural(v.batchesMore, 'older batch', 'older batches')}`, 'muted'));
  return list;
}

function context(v: DashboardView): Node {
  if (!v.context) return h('p', `The ${v.pattern} pattern does not measure a parent context against a flat fan-out.`, 'muted');
  const { parent, flat } = v.context;
  if (!flat) return h('p', 'Measured when the final synthesis runs: the tokens it is sent, against what a flat fan-out would pour into it.', 'muted');
  const parts: Node[] = [barChart([
    { label: 'Parent context', value: parent, text: `${tokens(parent)} tokens`, className: 'bar-parent', title: 'Tokens the final synthesis was sent' },
    { label: 'Flat fan-out', value: flat, text: `${tokens(flat)} tokens`, className: 'bar-flat', title: 'Tokens the parent would read if every worker file were poured into it' },
  ], 'context-bars')];
  if (parent > 0 && flat > 0) parts.push(h('p', `${(flat / parent).toFixed(1)}× less than a flat fan-out.`, 'context-ratio'));
  const box = h('div');
  box.append(...parts);
  return box;
}

function gaps(v: DashboardView, act: DashboardActions): Node {
  if (!v.gaps.length) return h('p', v.live ? 'None so far.' : 'None: every agent finished its work.', 'muted');
  const list = h('ul', undefined, 'gaps');
  for (const g of v.gaps) {
    const li = h('li');
    const id = clickable(h('a', g.agentId, 'agent-link'), () => act.showAgent(g.agentId), `Show agent ${g.agentId}`);
    li.dataset.key = `gap:${g.agentId}`;
    li.append(id, h('span', ` — ${g.reason}`));
    list.append(li);
  }
  return list;
}

/** Board and Timeline as two tabs of one section: each gets the panel's whole width. */
function progressViews(v: DashboardView, act: DashboardActions, ui: DashboardUi): HTMLElement {
  if (!v.board) return section('Timeline', 'timeline-section', renderTimeline(v, act));
  const tabs = h('div', undefined, 'view-tabs');
  tabs.setAttribute('role', 'tablist');
  tabs.setAttribute('aria-label', 'Show the run as');
  const tab = (id: DashboardTab, label: string, hint: string) => {
    const b = h('button', label, 'view-tab');
    b.id = `tab-${id}`;
    b.dataset.key = `tab:${id}`;
    b.title = hint;
    b.setAttribute('role', 'tab');
    b.setAttribute('aria-selected', String(ui.tab === id));
    b.setAttribute('aria-controls', `${id}-panel`);
    b.addEventListener('click', () => act.showTab(id));
    return b;
  };
  tabs.append(
    tab('board', 'Board', 'A card per builder, in the stage its change has reached'),
    tab('timeline', 'Timeline', 'Every agent\'s time on one axis'),
  );
  const panel = h('div', undefined, 'tab-panel');
  panel.id = `${ui.tab}-panel`;
  panel.setAttribute('role', 'tabpanel');
  panel.append(ui.tab === 'board' ? renderBoard(v.board, act, ui.moved) : renderTimeline(v, act));
  const s = h('section', undefined, 'section progress-views');
  s.id = 'progress-views';
  s.append(tabs, panel);
  return s;
}

export function renderDashboard(v: DashboardView, act: DashboardActions, ui: DashboardUi = DEFAULT_UI): Node {
  const root = document.createDocumentFragment();
  root.append(header(v, act));
  // Right under the header: a run waiting on batches can sit for an hour at one count, and this is what moves.
  if (v.batches.length) root.append(section(`Batches (${v.batches.length + v.batchesMore})`, 'batches-section', batches(v)));
  root.append(progressViews(v, act, ui));
  if (v.pipeline) root.append(renderPipelineStatus(v.pipeline, (p) => act.openFile(p)));
  const cards = h('div', undefined, 'cards');
  const roleName = (r: string) => r.charAt(0).toUpperCase() + r.slice(1);
  cards.append(
    section(v.simulated ? 'By model (would cost)' : 'Cost by model', 'by-model', spendChart(v.byModel, 'model-bars', (k) => k)),
    section(v.simulated ? 'By role (would cost)' : 'Cost by role', 'by-role', spendChart(v.byRole, 'role-bars', roleName)),
    section('Parent context', 'context', context(v)),
  );
  root.append(cards);
  if (v.estimate) {
    const e = v.estimate;
    root.append(h('p', `Estimated before the run: ${tokens(e.tokensLow)}–${tokens(e.tokensHigh)} tokens, ${usd(e.costLowUsd)}–${usd(e.costHighUsd)}${v.simulated ? ' if run for real' : ''}.`, 'muted estimate-line'));
  }
  root.append(section(`Gaps (${v.gaps.length})`, 'gaps', gaps(v, act)));
  return root;
}
