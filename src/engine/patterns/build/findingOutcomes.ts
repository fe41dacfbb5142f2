import type { Ledger } from '../../ledger/ledger';
import { FINDINGS_FILE, FindingsFileSchema, readRunJson, type Finding } from '../../pipelineFiles';
import type { BuilderSpec } from './plan';
import { readReview } from './review';
import { findingLine } from './findingLines';

// Build-only (what became of the findings a build was asked to fix), so it lives with the build
// pattern; it sat in findings/, which made findings/ and patterns/ import each other.

/**
 * What became of one finding a build was asked to fix: `fixed` when every builder that addressed
 * it was approved and merged into changes.patch; `not-fixed` with why (a builder failed, was not
 * approved, or conflicted at assembly); `out-of-scope` when no builder addressed it.
 */
export interface FindingOutcome {
  finding: Finding;
  status: 'fixed' | 'not-fixed' | 'out-of-scope';
  builders: string[];
  why: string | null;
}

/** Why one builder's change is not in the assembled result. */
async function whyLeftOut(runDir: string, ledger: Pick<Ledger, 'get'>, id: string): Promise<string> {
  const a = ledger.get(id);
  if (!a) return `${id} is not in the run`;
  if (a.status !== 'completed') return `${id} ${a.status}${a.error ? `: ${a.error}` : ''}`;
  const review = await readReview(runDir, id);
  if (review?.verdict !== 'approve') return `${id}'s change was not approved by its reviewer`;
  return `${id}'s branch conflicted with earlier builders' changes at assembly`;
}

/**
 * The outcome of every finding in the run's findings.json, or null when the build was not started
 * from findings. `merged` are the builders whose branches are in changes.patch.
 */
export async function findingOutcomes(
  runDir: string, builders: readonly Pick<BuilderSpec, 'id' | 'addresses'>[], ledger: Pick<Ledger, 'get'>, merged: readonly string[],
): Promise<FindingOutcome[] | null> {
  const file = await readRunJson(runDir, FINDINGS_FILE, FindingsFileSchema);
  if (!file) return null;
  const out: FindingOutcome[] = [];
  for (const finding of file.findings) {
    const by = builders.filter((b) => (b.addresses ?? []).includes(finding.id)).map((b) => b.id);
    if (by.length === 0) { out.push({ finding, status: 'out-of-scope', builders: [], why: 'no builder addressed it' }); continue; }
    const missing = by.filter((id) => !merged.includes(id));
    const why = missing.length ? (await Promise.all(missing.map((id) => whyLeftOut(runDir, ledger, id)))).join('; ') : null;
    out.push({ finding, status: missing.length ? 'not-fixed' : 'fixed', builders: by, why });
  }
  return out;
}

const LABEL: Record<FindingOutcome['status'], string> = { fixed: 'fixed', 'not-fixed': 'not fixed', 'out-of-scope': 'out of scope' };
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

/**
 * summary.md's `## Findings` section: every selected finding with what became of it, or nothing
 * when the build was not started from findings.
 */
export async function findingsSection(
  runDir: string, builders: readonly Pick<BuilderSpec, 'id' | 'addresses'>[], ledger: Pick<Ledger, 'get'>, merged: readonly string[],
): Promise<string[]> {
  const outcomes = await findingOutcomes(runDir, builders, ledger, merged);
  if (!outcomes) return [];
  const n = (s: FindingOutcome['status']): number => outcomes.filter((o) => o.status === s).length;
  return [
    '## Findings', '',
    `Of ${outcomes.length} selected finding${outcomes.length === 1 ? '' : 's'}: ${n('fixed')} fixed, ${n('not-fixed')} not fixed, ${n('out-of-scope')} out of scope.`, '',
    '| Finding | Outcome | Builder | Why |', '| --- | --- | --- | --- |',
    ...outcomes.map((o) => `| ${cell(findingLine(o.finding))} | ${LABEL[o.status]} | ${o.builders.join(', ') || '—'} | ${cell(o.why ?? '—')} |`),
    '',
  ];
}
