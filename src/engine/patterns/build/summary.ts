/**
 * summary.md of a build, in sections: each is a function of what the run wrote, so a stage added
 * later (the findings a Fix Findings build was asked to fix) adds one section without editing the
 * others. A section is a list of markdown lines, empty when it has nothing to say.
 */
import { CHANGES_PATCH, type FileChange } from '../../git';
import { SENTINEL } from '../../types';
import { plural } from '../../../shared/words';
import type { HardenTally, IntegrationResult } from '../../pipelineFiles';

export type SummarySection = string[];

export interface SummaryInput {
  task: string;
  runId: string;
  base: string;
  files: readonly FileChange[];
  merged: readonly string[];
  /** One markdown line per builder left out, with why. */
  left: readonly string[];
  /** One markdown line per merged builder: its return and review. */
  builderLines: readonly string[];
  integration: IntegrationResult | null;
  tally: HardenTally;
  /** What became of each finding a Fix Findings build was asked to fix (empty for other builds). */
  findings: SummarySection;
}

export const changeStat = (files: readonly FileChange[]): string =>
  `${plural(files.length, 'file')}, +${files.reduce((n, f) => n + f.added, 0)} −${files.reduce((n, f) => n + f.removed, 0)}`;

/** True when the integration check did not pass on the assembled tree: the change is never shippable then. */
export const integrationFailed = (i: IntegrationResult | null): boolean => i?.status === 'failed';

/** What blocks Ship, said first: a failed integration check, critical findings. */
export function blockersSection(s: SummaryInput): SummarySection {
  const lines: string[] = [];
  if (integrationFailed(s.integration)) {
    const last = s.integration!.rounds[s.integration!.rounds.length - 1];
    lines.push(`> **Integration failed.** \`${s.integration!.command}\` still fails on the assembled tree${last ? ` (see [${last.log}](${last.log}))` : ''}. This change is not shippable until it passes.`, '');
  }
  if (s.tally.critical > 0) {
    lines.push(`> **Ship blocked:** ${plural(s.tally.critical, 'critical finding')} (see Hardening). Ship refuses this change until they are resolved.`, '');
  }
  return lines;
}

export function headlineSection(s: SummaryInput): SummarySection {
  return [
    s.merged.length
      ? `**Proposed change: ${changeStat(s.files)}**, from ${s.merged.map((id) => `**${id}**`).join(', ')}, against commit \`${s.base.slice(0, 12)}\`. Nothing has been written to your working tree.`
      : '**No change to apply**: no builder\'s change was approved.',
    '',
  ];
}

export function filesSection(s: SummaryInput): SummarySection {
  if (!s.files.length) return [];
  return ['## Files', '', '| File | Change | Added | Removed |', '| --- | --- | --- | --- |',
    ...s.files.map((f) => `| \`${f.path}\` | ${f.status} | +${f.added} | −${f.removed} |`), '', ...s.builderLines, ''];
}

/** The check on the assembled tree: each round, the fixer's rounds, and where the logs are. */
export function integrationSection(s: SummaryInput): SummarySection {
  const i = s.integration;
  const lines = ['## Integration', ''];
  if (!i) return [...lines, 'The integration step did not finish, so the assembled tree was not checked.', ''];
  if (i.status === 'nothing-merged') return [...lines, 'Nothing was merged, so nothing was checked.', ''];
  if (i.status === 'no-check') return [...lines, 'No check command is set (setting `verifyCommand`), so the assembled tree was **not checked**.', ''];
  lines.push(`\`${i.command}\` on the assembled tree: **${i.status}**${i.fixes?.length ? ` after ${plural(i.fixes.length, 'fixer round')}` : ''}.`, '');
  for (const r of i.rounds) lines.push(`- Check ${r.round}: ${r.ok ? 'passed' : r.timedOut ? 'timed out' : `failed (exit ${r.code ?? 'none'})`} in ${Math.round(r.ms / 100) / 10} s, [log](${r.log})`);
  for (const f of i.fixes ?? []) lines.push(`- Fixer round ${f.round}: ${f.note}${f.files.length ? ` (${f.files.map((x) => `\`${x}\``).join(', ')})` : ''}`);
  return [...lines, ''];
}

/** The tally: counts, then every critical and major finding with its status; minor ones listed. */
export function hardeningSection(s: SummaryInput): SummarySection {
  const t = s.tally;
  const lines = ['## Hardening', ''];
  if (!t.enabled) return [...lines, 'Hardening is off (setting `harden`): the combined change was not audited.', ''];
  lines.push(`${t.critical} critical, ${t.major} major, ${t.minor} minor ([harden/tally.json](harden/tally.json)).`, '');
  if (t.critical > 0) lines.push(`Critical findings **block Ship**.`, '');
  const status: Record<string, string> = { open: '', sent: ' — sent to its owner', fixed: ' — fixed by its owner', 'not-fixed': ' — not fixed' };
  for (const f of t.findings) {
    const where = f.file ? ` \`${f.file}${f.line ? `:${f.line}` : ''}\`` : '';
    lines.push(`- **${f.severity}** (${f.concern})${where}: ${f.text.replace(/\s+/g, ' ')}${f.severity === 'minor' ? '' : status[f.status] ?? ''}`);
  }
  return [...lines, ''];
}

export function leftOutSection(s: SummaryInput): SummarySection {
  return s.left.length ? ['## Left out', '', ...s.left, ''] : [];
}

export function applySection(s: SummaryInput): SummarySection {
  if (!s.merged.length) return [];
  return ['## Apply or discard', '',
    `The whole change is in [${CHANGES_PATCH}](${CHANGES_PATCH}). In VS Code, open a file under **Changes** in the Ledger to see its diff, then **Apply Changes** or **Discard Changes**. From a terminal, the CLI's \`diff\`, \`apply\` and \`discard\` commands take this run's id, \`${s.runId}\`, with \`--workspace\` naming this workspace (see the README's CLI section for how to start the CLI where you are).`, ''];
}

/** summary.md of a build: the sections in reading order, then the sentinel. */
export function renderBuildSummary(s: SummaryInput): string {
  const sections: SummarySection[] = [
    [`# Build: ${s.task}`, ''],
    blockersSection(s),
    headlineSection(s),
    filesSection(s),
    integrationSection(s),
    hardeningSection(s),
    s.findings.length ? [...s.findings, ''] : [],
    leftOutSection(s),
    applySection(s),
  ];
  return [...sections.flat(), SENTINEL, ''].join('\n');
}
