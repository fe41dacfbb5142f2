/** Small SVG pictures for the panels: horizontal bars and a stacked status strip, coloured by CSS classes. */
import { h, svg, svgTitle } from './dom';

export interface Bar { label: string; value: number; text: string; className?: string; title?: string }

/** Labelled horizontal bars on one scale (the largest value fills the track): the label and value on one line, the bar under them. */
export function barChart(bars: Bar[], id: string, max = Math.max(0, ...bars.map((b) => b.value))): HTMLElement {
  const chart = h('div', undefined, 'bars');
  chart.id = id;
  for (const b of bars) {
    const track = svg('svg', { class: 'bar-track', viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true' });
    const w = max > 0 ? (b.value / max) * 100 : 0;
    // A non-zero value never vanishes: at least a sliver shows it is there.
    const rect = svg('rect', { x: 0, y: 0, width: b.value > 0 ? Math.max(w, 0.8) : 0, height: 10, class: `bar ${b.className ?? ''}`.trim() });
    if (b.title) svgTitle(rect, b.title);
    track.append(rect);
    const label = h('span', b.label, 'bar-label');
    label.title = b.title ?? b.label;
    const row = h('div', undefined, 'bar-row');
    const line = h('div', undefined, 'bar-line');
    line.append(label, h('span', b.text, 'bar-value'));
    row.append(line, track);
    chart.append(row);
  }
  return chart;
}

/** The order statuses stack in, done work first. */
export const STATUS_ORDER = ['completed', 'running', 'verifying', 'retrying', 'queued', 'pending', 'failed', 'cancelled', 'skipped', 'interrupted'];

/** One strip split by status, each part as wide as its share. */
export function statusStrip(byStatus: Record<string, number>, className = 'status-strip'): SVGSVGElement {
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const strip = svg('svg', { class: className, viewBox: `0 0 ${Math.max(total, 1)} 1`, preserveAspectRatio: 'none', role: 'img' });
  let x = 0;
  const parts: string[] = [];
  for (const st of [...STATUS_ORDER, ...Object.keys(byStatus).filter((k) => !STATUS_ORDER.includes(k))]) {
    const n = byStatus[st] ?? 0;
    if (!n) continue;
    const rect = svg('rect', { x, y: 0, width: n, height: 1, class: `st st-${st}` });
    svgTitle(rect, `${n} ${st}`);
    strip.append(rect);
    parts.push(`${n} ${st}`);
    x += n;
  }
  strip.setAttribute('aria-label', parts.join(', ') || 'no agents');
  return strip;
}
