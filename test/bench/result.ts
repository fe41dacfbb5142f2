/** What each measure hands to the report: one table row (or more) and the raw figures behind it. */
export interface Row {
  n: string;
  measure: string;
  value: string;
  /** The same measure with the improvement switched off, where a switch exists; '—' otherwise. */
  before: string;
  target: string;
  ok: boolean;
}

export interface MeasureResult {
  rows: Row[];
  raw: string[];
}

export const pct = (v: number, digits = 1): string => `${(v * 100).toFixed(digits)} %`;
export const fixed = (v: number, digits = 2): string => v.toFixed(digits);
export const ms = (v: number): string => `${Math.round(v)} ms`;
export const kb = (v: number): string => `${(v / 1024).toFixed(1)} KB`;
