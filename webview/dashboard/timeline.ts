/**
 * The dashboard's timeline: one lane per group, one bar row per agent (queued, running,
 * verifying, retrying on a shared time axis; a settled agent's work bars take the colour of how it
 * ended), and for big groups a density strip (the group's status mix over time) that unfolds into
 * pages of rows. The legend names every colour drawn.
 */
import { SETTLED_STATES, type DashboardView, type Density, type Lane, type Segment, type TimelineRow } from '../../src/shared/dashboardProtocol';
import { plural } from '../../src/shared/words';
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

const SETTLED: ReadonlySet<string> = new Set(SETTLED_STATES);
/** Bars of work, which take the outcome's colour once the agent has settled; waiting keeps its own. */
const WORK: ReadonlySet<string> = new Set(['running', 'verifying']);

/**
 * The colour a bar is drawn in: an agent that has settled shows how it ended on its work bars
 * (a cancelled agent never looks like a completed one); queued and retrying keep theirs.
 */
export function barState(seg: Segment, rowStatus: string): string {
  return SETTLED.has(rowStatus) && WORK.has(seg.s) ? rowStatus : seg.s;
}

function agentRow(r: TimelineRow, spanMs: number, act: TimelineActions, drawn: Set<string>): HTMLElement {
  const row = h('div', undefined, `tl-row tl-agent status-${r.status}`);
  row.dataset.agent = r.id;
  row.dataset.key = `agent:${r.id}`;
  const label = h('div', undefined, 'tl-label');
  label.append(h('span', GLYPH[r.status] ?? '•', 'glyph'), h('span', r.id, 'tl-id'), h('span', ` ${r.label}`, 'tl-task'));
  label.title = `${r.id} · ${r.status} · ${r.tier} → ${r.model}${r.attempts > 1 ? ` · attempt ${r.attempts}` : ''}\n${r.task}`;
  const track = svg('svg', { class: 'tl-track', viewBox: `0 0 ${W} 10`, preserveAspectRatio: 'none' });
  for (const seg of r.segments) {
    const x = (seg.a / spanMs) * W;
    const state = barState(seg, r.status);
    drawn.add(state);
    const rect = svg('rect', { x, y: 1, width: Math.max(((seg.b - seg.a) / spanMs) * W, 1.5), height: 8, class: `seg seg-${state}` });
    svgTitle(rect, `${r.id} ${seg.s}${state !== seg.s ? ` (${state})` : ''} ${clock(seg.a)}–${clock(seg.b)} (${duration(seg.b - seg.a)})`);
    track.append(rect);
  }
  // Settled without a bar of work (cancelled or failed while queued): a mark at its end says how.
  if (SETTLED.has(r.status) && !r.segments.some((seg) => WORK.has(seg.s))) {
    const endAt = r.segments.length ? Math.max(...r.segments.map((seg) => seg.b)) : null;
    if (endAt !== null) {
      drawn.add(r.status);
      const mark = svg('rect', { x: Math.min(W - 4, (endAt / spanMs) * W), y: 0, width: 4, height: 10, class: `seg seg-${r.status}` });
      svgTitle(mark, `${r.id} ${r.status} at ${clock(endAt)}`);
      track.append(mark);
    }
  }
  row.append(label, track);
  return clickable(row, () => act.showAgent(r.id), `Show agent ${r.id} (${r.status})`);
}

/** Bottom to top: how agents ended, then work, then the queue; the rest of the height had not been queued yet. */
const STACK = ['completed', 'failed', 'cancelled', 'skipped', 'running', 'verifying', 'retrying', 'queued'] as const;
const IN_FLIGHT: ReadonlySet<string> = new Set(['running', 'verifying', 'retrying']);
/** Height (of H) an in-flight state keeps when it is a sliver of a big group, so 2 at work among 200 still show. */
const MIN_SLIVER = 1.2;

/**
 * The group's status mix over time as stacked columns, one per time slice, on one scale: the
 * strip's height is every agent of the group. A few paths however many agents; an early strip of
 * 200 waiting agents reads as the queue's colour, and it drains into the outcomes.
 */
function densityStrip(d: Density, bins: number, total: number, drawn: Set<string>): HTMLElement {
  const row = h('div', undefined, 'tl-row tl-density');
  const label = h('div', undefined, 'tl-label');
  const busy = `at most ${d.peak} at work${d.queuedPeak ? `, ${d.queuedPeak} queued` : ''}`;
  label.append(h('span', plural(total, 'agent'), 'tl-id'), h('span', ` · ${busy}`, 'tl-task'));
  label.title = `${plural(total, 'agent')}; at any one moment ${busy}`;
  const H = 20;
  const strip = svg('svg', { class: 'tl-track tl-density-track', viewBox: `0 0 ${bins} ${H}`, preserveAspectRatio: 'none', role: 'img' });
  const scale = H / Math.max(total, 1);
  const base = new Array<number>(bins).fill(H);
  for (const st of STACK) {
    let path = '';
    d[st].forEach((v, k) => {
      if (v <= 0 || base[k] <= 0) return;
      const height = Math.min(base[k], Math.max(v * scale, IN_FLIGHT.has(st) ? MIN_SLIVER : 0));
      const top = base[k] - height;
      path += `M${k} ${base[k].toFixed(2)}H${k + 1}V${top.toFixed(2)}H${k}Z`;
      base[k] = top;
    });
    if (!path) continue;
    drawn.add(st);
    strip.append(svg('path', { d: path, class: `seg seg-${st}` }));
  }
  strip.setAttribute('aria-label', `status of ${plural(total, 'agent')} over time; ${busy}`);
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
  const apart = (['failed', 'cancelled', 'skipped'] as const).filter((st) => lane.byStatus[st]).map((st) => ` · ${lane.byStatus[st]} ${st}`).join('');
  title.append(h('strong', lane.label), h('span', ` ${done}/${lane.total}${apart}`, 'muted'));
  title.title = `${lane.label}: ${done} of ${lane.total} completed${apart}`;
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
  const drawn = new Set<string>();
  for (const lane of view.lanes) {
    const el = h('div', undefined, 'tl-lane');
    el.dataset.lane = lane.id;
    el.append(laneHead(lane, act));
    if (lane.density && !lane.expanded) el.append(densityStrip(lane.density, view.bins, lane.total, drawn));
    for (const r of lane.rows) el.append(agentRow(r, view.spanMs, act, drawn));
    if (lane.expanded) el.append(pager(lane, act));
    root.append(el);
  }
  root.append(legend(drawn));
  return root;
}

/** The order colours are explained in: the life of an agent, then how it can end. */
const LEGEND = ['queued', 'running', 'verifying', 'retrying', 'completed', 'failed', 'cancelled', 'skipped'];

/** A key for every colour the timeline drew, and only those. */
function legend(drawn: ReadonlySet<string>): HTMLElement {
  const box = h('div', undefined, 'tl-legend');
  box.id = 'timeline-legend';
  for (const st of LEGEND.filter((x) => drawn.has(x))) {
    const key = svg('svg', { class: 'tl-key', viewBox: '0 0 10 10', 'aria-hidden': 'true' });
    key.append(svg('rect', { x: 0, y: 0, width: 10, height: 10, class: `seg seg-${st}` }));
    const item = h('span', undefined, 'tl-legend-item');
    item.dataset.state = st;
    item.append(key, h('span', st));
    box.append(item);
  }
  return box;
}
