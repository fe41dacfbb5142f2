/** Number formats shared by the editor panels (the same forms as the tree and the Summary view). */
export const tokens = (n: number): string => (n < 1000 ? String(Math.round(n)) : n < 1e6 ? `${(n / 1000).toFixed(1)}k` : `${(n / 1e6).toFixed(2)}M`);
export const usd = (n: number): string => (n === 0 ? '$0' : n < 0.01 ? `$${n.toFixed(4)}` : n < 100 ? `$${n.toFixed(2)}` : `$${Math.round(n)}`);
/** A simulated run spent nothing; its money is what the same tokens would cost, said as such. */
export const spend = (n: number, simulated: boolean): string => (simulated ? `would cost ${usd(n)}` : usd(n));

/** 0 → "0s", 95_000 → "1m35s", 3_720_000 → "1h2m". */
export function clock(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  return m % 60 ? `${Math.floor(m / 60)}h${m % 60}m` : `${Math.floor(m / 60)}h`;
}

/** 12_000 → "12 s", 95_000 → "1m 35s". */
export const duration = (ms: number): string => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`);

export const GLYPH: Record<string, string> = {
  pending: '○', queued: '◔', running: '◐', verifying: '◑', retrying: '↻',
  completed: '✓', failed: '✗', cancelled: '⊘', skipped: '↷', interrupted: '⌁',
};
