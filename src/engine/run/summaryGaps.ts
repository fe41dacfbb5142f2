import * as path from 'node:path';
import { endsWithSentinel, pathExists, readTextOrNull, writeFileAtomic } from '../files';
import { redactText } from '../redact';
import { SENTINEL, type Gap } from '../types';
import { plural } from '../../shared/words';

const HEADING = '## Gaps';

/**
 * Makes summary.md name every gap, whatever the model wrote: the engine's own Gaps section
 * (every agent that did not complete, its reason and its file) replaces any the model wrote and
 * stands before the sentinel. When the final step never finished, a summary.md without the
 * sentinel says so and still lists the gaps, so the file users open first is never silent; it
 * does not end with the sentinel, so resume still runs the final step. What it writes is redacted
 * (src/engine/redact) whoever wrote the body: the file is the one users share first.
 */
export async function writeSummaryGaps(file: string, gaps: readonly Gap[], summaryCompleted: boolean, runReason: string | null): Promise<void> {
  const dir = path.dirname(file);
  const text = await readTextOrNull(file);
  const written = new Set<string>();
  await Promise.all(gaps.map(async (g) => { if (await pathExists(path.join(dir, g.outputFile))) written.add(g.outputFile); }));
  const section = gapsSection(gaps, (rel) => written.has(rel));
  if (summaryCompleted && text !== null && endsWithSentinel(text)) {
    const body = withoutGapsSection(text.trimEnd().slice(0, -SENTINEL.length).trimEnd());
    await writeFileAtomic(file, redactText(`${body}\n\n${section}\n\n${SENTINEL}\n`));
    return;
  }
  if (text !== null && endsWithSentinel(text)) return;
  await writeFileAtomic(file, redactText(`# Summary not written\n\nThe final step did not finish${runReason ? `: ${runReason}` : ''}. `
    + 'What the agents that completed wrote is in their files (see ledger.json).\n\n'
    + `${section}\n`));
}

/** The Gaps section: one line per gap, linking its file only when the file exists. */
export function gapsSection(gaps: readonly Gap[], exists: (rel: string) => boolean): string {
  if (gaps.length === 0) return `${HEADING}\n\nNone: every agent completed.`;
  const lines = gaps.map((g) => {
    const file = exists(g.outputFile) ? `[${g.outputFile}](${g.outputFile})` : `${g.outputFile} (not written)`;
    return `- **${g.agentId}** — ${oneLine(g.reason)} — ${file}`;
  });
  return `${HEADING}\n\n${plural(gaps.length, 'agent')} did not complete:\n\n${lines.join('\n')}`;
}

/** The text without a `Gaps` heading's section (any level 1–3), which the engine's own replaces. */
export function withoutGapsSection(text: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^#{1,3}\s+gaps\s*$/i.test(l.trim()));
  if (start < 0) return text;
  const level = /^#+/.exec(lines[start].trim())![0].length;
  let end = start + 1;
  while (end < lines.length && !new RegExp(`^#{1,${level}}\\s`).test(lines[end])) end++;
  return [...lines.slice(0, start), ...lines.slice(end)].join('\n').trimEnd();
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();
