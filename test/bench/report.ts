/** The bench's printout: one markdown table, the raw figures behind it, and where it ran. */
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import type { MeasureResult } from './result';

function commit(): string {
  try {
    const sha = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version}`;
}

/** The header line and the table: what the README's Performance section shows. */
export function renderTable(results: readonly MeasureResult[], elapsedMs: number): string {
  const rows = results.flatMap((r) => r.rows);
  return [
    `Bench of ${new Date().toISOString().slice(0, 10)}, commit ${commit()}, ${machine()}; ran ${(elapsedMs / 1000).toFixed(0)} s`,
    '',
    '| # | measure | value | before | target | ok |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.n} | ${r.measure} | ${r.value} | ${r.before} | ${r.target} | ${r.ok ? 'yes' : '**no**'} |`),
    '',
    '"before" is the same measure with the improvement switched off (adaptiveConcurrency: false, promptCaching: false) where a switch exists.',
  ].join('\n');
}

export function renderRaw(results: readonly MeasureResult[]): string {
  return ['Raw figures:', ...results.flatMap((r) => r.raw.map((l) => `- ${l}`))].join('\n');
}

/** Replaces what stands between the README's bench-table markers; false when the markers are missing. */
export function updateReadme(file: string, table: string): boolean {
  const text = readFileSync(file, 'utf8');
  const m = /(<!-- bench-table -->\n)[\s\S]*?(<!-- \/bench-table -->)/.exec(text);
  if (!m) return false;
  writeFileSync(file, text.slice(0, m.index) + m[1] + table + '\n' + m[2] + text.slice(m.index + m[0].length));
  return true;
}
