/**
 * The pipeline's handoff: the fixed-format section a stage ends its file with, and the only thing
 * the next stage is given. The engine, not the model, decides whether a handoff is well formed:
 * it extracts the section, checks every heading, and writes the normalised copy the next stage reads.
 */
import { SENTINEL } from '../../types';
import { wordCount } from '../../text';

/** The headings of a handoff, in order (the format is part of the file contract). */
export const HANDOFF_PARTS = ['Summary', 'State', 'Next action', 'Artifacts'] as const;

/**
 * The summary is asked for in 2–3 sentences; only the upper bound is enforced: a one-sentence
 * summary harms nobody, while re-running a whole stage over it would cost a full attempt.
 */
export const SUMMARY_MAX_SENTENCES = 3;

/** A handoff larger than this stops being a handoff: the next stage would be reading the work itself. */
export const HANDOFF_MAX_WORDS = 800;

export interface Handoff {
  summary: string;
  state: string;
  nextAction: string;
  artifacts: string;
}

export type HandoffCheck = { ok: true; handoff: Handoff } | { ok: false; error: string };

const FORMAT = `\`## Handoff\` followed by ${HANDOFF_PARTS.map((h) => `\`### ${h}\``).join(', ')}, just before the last line ${SENTINEL}`;

interface Heading { line: number; level: number; text: string }

/**
 * Headings outside fenced code blocks. Only ATX headings count: the format asks for them, and the
 * check must not be fooled by a `## Handoff` quoted inside a code sample.
 */
function headingsOf(lines: readonly string[]): Heading[] {
  const out: Heading[] = [];
  let fence: string | null = null;
  lines.forEach((l, i) => {
    const f = /^\s{0,3}(`{3,}|~{3,})/.exec(l)?.[1];
    if (f) {
      if (fence === null) fence = f;
      else if (f[0] === fence[0] && f.length >= fence.length) fence = null;
      return;
    }
    if (fence !== null) return;
    const h = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/.exec(l);
    if (h) out.push({ line: i, level: h[1].length, text: h[2].trim() });
  });
  return out;
}

const sentencesIn = (text: string): number =>
  [...new Intl.Segmenter('en', { granularity: 'sentence' }).segment(text.replace(/\s+/g, ' ').trim())]
    .filter((s) => /\w/.test(s.segment)).length;

/**
 * Extracts and checks the `## Handoff` section of a stage's file (with or without the sentinel).
 * The error says what was expected and what came, so the retried stage can fix exactly that.
 */
export function extractHandoff(fileText: string): HandoffCheck {
  const lines = fileText.replace(/\r\n/g, '\n').split('\n');
  const headings = headingsOf(lines);
  const startIdx = headings.map((h) => h.level === 2 && /^handoff$/i.test(h.text)).lastIndexOf(true);
  if (startIdx < 0) return { ok: false, error: `the file has no \`## Handoff\` section; expected ${FORMAT}` };
  const after = headings.slice(startIdx + 1);
  const outer = after.find((h) => h.level <= 2);
  if (outer) {
    return { ok: false, error: `the \`## Handoff\` section must be the last section of the file, but \`${'#'.repeat(outer.level)} ${outer.text}\` follows it` };
  }
  const parts = after.filter((h) => h.level === 3);
  const got = parts.map((h) => h.text);
  const expected = HANDOFF_PARTS.map((p) => p.toLowerCase());
  if (got.length !== expected.length || got.some((g, i) => g.toLowerCase() !== expected[i])) {
    const missing = HANDOFF_PARTS.filter((p) => !got.some((g) => g.toLowerCase() === p.toLowerCase()));
    return {
      ok: false,
      error: `the \`## Handoff\` section has the headings ${got.length ? got.map((g) => `\`### ${g}\``).join(', ') : '(none)'}`
        + `${missing.length ? ` (missing ${missing.map((m) => `\`### ${m}\``).join(', ')})` : ''}; expected exactly ${HANDOFF_PARTS.map((h) => `\`### ${h}\``).join(', ')} in that order`,
    };
  }
  const body = (i: number): string => {
    const end = i + 1 < parts.length ? parts[i + 1].line : lines.length;
    return lines.slice(parts[i].line + 1, end).filter((l) => l.trim() !== SENTINEL).join('\n').trim();
  };
  const [summary, state, nextAction, artifacts] = HANDOFF_PARTS.map((_, i) => body(i)) as [string, string, string, string];
  const empty = HANDOFF_PARTS.find((_, i) => ![summary, state, nextAction, artifacts][i]);
  if (empty) return { ok: false, error: `\`### ${empty}\` of the handoff is empty` };
  const sentences = sentencesIn(summary);
  if (sentences > SUMMARY_MAX_SENTENCES) {
    return { ok: false, error: `\`### Summary\` of the handoff has ${sentences} sentences; it must have 2–${SUMMARY_MAX_SENTENCES}` };
  }
  const artifactLines = artifacts.split('\n').filter((l) => l.trim());
  const isNone = /^none\b/i.test(artifacts);
  if (!isNone && artifactLines.some((l) => !/^\s*(?:[-*+]|\d+[.)])\s+\S/.test(l) && !/^\s{2,}\S/.test(l))) {
    return { ok: false, error: '`### Artifacts` of the handoff must be a list (`- path — what it holds`, one a line) or `None`' };
  }
  const words = wordCount([summary, state, nextAction, artifacts].join('\n'));
  if (words > HANDOFF_MAX_WORDS) {
    return { ok: false, error: `the handoff has ${words} words; at most ${HANDOFF_MAX_WORDS} are allowed (keep the detail in the stage file and list it under Artifacts)` };
  }
  return { ok: true, handoff: { summary, state, nextAction, artifacts } };
}

/** The handoff file the engine writes (handoffs/<id>.md): the fixed headings, then the sentinel. */
export function renderHandoff(title: string, h: Handoff): string {
  return [
    `# ${title}`, '',
    '## Summary', h.summary, '',
    '## State', h.state, '',
    '## Next action', h.nextAction, '',
    '## Artifacts', h.artifacts, '',
    SENTINEL, '',
  ].join('\n');
}
