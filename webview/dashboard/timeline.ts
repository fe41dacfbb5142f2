/**
 * The dashboard's timeline: one lane per group, one bar row per agent (queued, running,
 * verifying, retrying on a shared time axis), and for big groups a density strip (how many agents
 * were in each state over time) that unfolds into pages of rows.
 */
import type { DashboardView, Density, Lane, TimelineRow } from '../../src/shared/dashboardProtocol';
import { statusStrip } from '../charts';
import { clickable, h, svg, svgTitle } from '../dom';
import { clock, duration, GLYPH } from '../format';

export interface TimelineActions {
  showAgent(agentId: string): void;
  expand(laneId: string, expanded: boolean, page: number): void;
}

/** viewBox width of a row's track; bars are placed in these units and stretch to the track's width. */
const W = 1000;
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400].map((s) => s * 1000);

/** Axis ticks at a round step, at most ~8 of them. */
export function ticks(spanMs: number): number[] {
  const step = STEPS.find((s) => spanMs / s <= 8) ?? Math.ceil(spanMs / 8 / 3_600_000) * 3_600_000;
  const out: number[] = [];
  for (let t = 0; t <= spanMs; t += step) out.push(t);
  return out;
}

function axis(spanMs: number): HTMLElement {
  const row = h('div', undefined, 'tl-row tl-axis');
  row.append(h('div', '', 'tl-label'));
  const track = h('div', undefined, 'tl-axis-track');
  for (const t of ticks(spanMs)) {
    const tick = h('span', clock(t), 'tl-tick');
    tick.style.left = `${(t / spanMs) * 100}%`;
    track.append(tick);
  }
  row.append(track);
  return row;
}

function agentRow(r: TimelineRow, spanMs: number, act: TimelineActions): HTMLElement {
  const row = h('div', undefined, `tl-row tl-agent status-${r.status}`);
  row.dataset.agent = r.id;
  row.dataset.key = `agent:${r.id}`;
  const label = h('div', undefined, 'tl-label');
  label.append(h('span', GLYPH[r.status] ?? '•', 'glyph'), h('span', r.id, 'tl-id'), h('span', ` ${r.label}`, 'tl-task'));
  label.title = `${r.id} · ${r.status} · ${r.tier} → ${r.model}${r.attempts > 1 ? ` · attempt ${r.attempts}` : ''}\n${r.label}`;
  const track = svg('svg', { class: 'tl-track', viewBox: `0 0 ${W} 10`, preserveAspectRatio: 'none' });
  for (const seg of r.segments) {
    const x = (seg.a / spanMs) * W;
    const rect = svg('rect', { x, y: 1, width: Math.max(((seg.b - seg.a) / spanMs) * W, 1.5), height: 8, class: `seg seg-${seg.s}` });
    svgTitle(rect, `${r.id} ${seg.s} ${clock(seg.a)}–${clock(seg.b)} (${duration(seg.b - seg.a)})`);
    track.append(rect);
  }
  row.append(label, track);
  return clickable(row, () => act.showAgent(r.id), `Show agent ${r.id} (${r.status})`);
}

const STACK = ['running', 'verifying', 'retrying'] as const;
const round1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * Agents at work per time slice as stacked bars (one path per state: a few elements however many
 * agents), with the queue drawn faintly behind on its own scale, so 200 waiting agents do not
 * flatten the 8 at work.
 */
function densityStrip(d: Density, bins: number, total: number): HTMLElement {
  const row = h('div', undefined, 'tl-row tl-density');
  const label = h('div', undefined, 'tl-label');
  label.append(h('span', `${total} agents`, 'tl-id'), h('span', ` · ≤ ${round1(d.peak)} at work${d.queuedPeak ? `, ≤ ${round1(d.queuedPeak)} queued` : ''}`, 'tl-task'));
  const H = 20;
  const strip = svg('svg', { class: 'tl-track tl-density-track', viewBox: `0 0 ${bins} ${H}`, preserveAspectRatio: 'none', role: 'img' });
  const area = (values: readonly number[], scale: number, base: number[] | null): string => {
    let path = '';
    values.forEach((v, k) => {
      if (v <= 0) return;
      const y0 = H - (base ? base[k] : 0) * scale;
      const y1 = y0 - v * scale;
      path += `M${k} ${y0.toFixed(2)}H${k + 1}V${y1.toFixed(2)}H${k}Z`;
      if (base) base[k] += v;
    });
    return path;
  };
  if (d.queuedPeak > 0) {
    const queued = area(d.queued, H / d.queuedPeak, null);
    if (queued) strip.append(svg('path', { d: queued, class: 'seg seg-queued queue-bg' }));
  }
  const base = new Array<number>(bins).fill(0);
  const scale = d.peak > 0 ? H / d.peak : 0;
  for (const st of STACK) {
    const path = area(d[st], scale, base);
    if (path) strip.append(svg('path', { d: path, class: `seg seg-${st}` }));
  }
  strip.setAttribute('aria-label', `agents at work over time, at most ${round1(d.peak)} at once; at most ${round1(d.queuedPeak)} queued`);
  row.append(label, strip);
  return row;
}

function laneHead(lane: Lane, act: TimelineActions): HTMLElement {
  const head = h('div', undefined, 'tl-lane-head');
  const title = h('span', undefined, 'tl-lane-title');
  if (lane.aggregated) {
    const toggle = h('button', lane.expanded ? '▾' : '▸', 'tl-toggle');
    toggle.dataset.key = `toggle:${lane.id}`;
    toggle.title = lane.expanded ? 'Fold into the density strip' : `List the ${lane.total} agents, ${lane.rows.length || 50} at a time`;
    toggle.setAttribute('aria-expanded', String(lane.expanded));
    toggle.addEventListener('click', () => act.expand(lane.id, !lane.expanded, 0));
    title.append(toggle);
  }
  const done = lane.byStatus.completed ?? 0;
  const failed = lane.byStatus.failed ?? 0;
  title.append(h('strong', lane.label), h('span', ` ${done}/${lane.total}${failed ? ` · ${failed} failed` : ''}`, 'muted'));
  head.append(title, statusStrip(lane.byStatus, 'status-strip tl-lane-strip'));
  return head;
}

function pager(lane: Lane, act: TimelineActions): HTMLElement {
  const bar = h('div', undefined, 'tl-pager');
  const first = lane.first + 1;
  const last = Math.min(lane.total, first + lane.rows.length - 1);
  const button = (text: string, page: number, enabled: boolean, key: string) => {
    const b = h('button', text);
    b.disabled = !enabled;
    b.dataset.key = `${key}:${lane.id}`;
    b.addEventListener('click', () => act.expand(lane.id, true, page));
    return b;
  };
  bar.append(
    h('span', `Agents ${first}–${last} of ${lane.total}`, 'muted'),
    button('‹ Previous', lane.page - 1, lane.page > 0, 'prev'),
    button('Next ›', lane.page + 1, lane.page < lane.pages - 1, 'next'),
  );
  return bar;
}

export function renderTimeline(view: DashboardView, act: TimelineActions): HTMLElement {
  const root = h('div', undefined, 'timeline');
  root.id = 'timeline';
  if (!view.startedAt) {
    root.append(h('p', view.status === 'awaiting-approval' ? 'The plan awaits approval: no agent has started.' : 'No agent has started yet.', 'muted'));
    return root;
  }
  root.append(axis(view.spanMs));
  for (const lane of view.lanes) {
    const el = h('div', undefined, 'tl-lane');
    el.dataset.lane = lane.id;
    el.append(laneHead(lane, act));
    if (lane.density && !lane.expanded) el.append(densityStrip(lane.density, view.bins, lane.total));
    for (const r of lane.rows) el.append(agentRow(r, view.spanMs, act));
    if (lane.expanded) el.append(pager(lane, act));
    root.append(el);
  }
  const legend = h('div', undefined, 'tl-legend');
  for (const st of ['queued', 'running', 'verifying', 'retrying']) {
    const key = svg('svg', { class: 'tl-key', viewBox: '0 0 10 10' });
    key.append(svg('rect', { x: 0, y: 0, width: 10, height: 10, class: `seg seg-${st}` }));
    const item = h('span', undefined, 'tl-legend-item');
    item.append(key, h('span', st));
    legend.append(item);
  }
  root.append(legend);
  return root;
}
