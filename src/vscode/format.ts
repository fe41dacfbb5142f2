/** Short human formats for the tree, status bar and tooltips. Pure functions, so they are unit-tested directly. */
import type { Usage } from '../engine';

export function totalTokens(u: Usage): number {
  return u.input + u.output + u.cacheRead + u.cacheWrite;
}

/** 950 → "950", 3140 → "3.1k", 2_400_000 → "2.4M". */
export function formatTokens(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${trim(n / 1000)}k`;
  return `${trim(n / 1_000_000)}M`;
}

function trim(x: number): string {
  return x >= 100 ? String(Math.round(x)) : x.toFixed(1).replace(/\.0$/, '');
}

/** Costs keep enough digits to tell a haiku lookup ($0.004) from nothing ($0). */
export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toFixed(3)}`;
  if (usd < 100) return `$${usd.toFixed(2)}`;
  return `$${Math.round(usd)}`;
}

/**
 * Money as the user should read it: what a real run spent, or, for a simulated run, what the
 * same usage would cost at the configured prices. A simulated run spends nothing, so its cost is
 * never shown bare.
 */
export function formatSpend(usd: number, simulated: boolean): string {
  return simulated ? `would cost ${formatCost(usd)}` : formatCost(usd);
}

/** 12_000 → "12 s", 95_000 → "1m 35s", 3_720_000 → "1h 2m". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago". */
export function formatAge(iso: string, now: number): string {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms) || ms < 45_000) return 'just now';
  const min = Math.round(ms / 60_000);
  if (min < 60) return `${min} min ago`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} d ago`;
}

/** Elapsed time of something that started, ending now while it still runs. */
export function elapsedMs(startedAt: string | null, endedAt: string | null, now: number): number | null {
  if (!startedAt) return null;
  const end = endedAt ? Date.parse(endedAt) : now;
  return Math.max(0, end - Date.parse(startedAt));
}

/** Truncates to `max` characters on a word boundary where possible. */
export function truncate(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}
