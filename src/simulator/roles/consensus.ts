import { SIMULATED_LABEL, field, promptText, section, stringInput, toolCalls, truncate, withoutLineNumbers } from '../conversation';
import type { ParsedRequest, Reply } from '../types';
import { plural } from '../../shared/words';
import { SEVERITIES, severityOf } from '../facts';

const SENTINEL = '<!-- DONE -->';

interface Listed { path: string | null; id: string; perspective: string; gap: string | null }
interface Opinion { id: string; perspective: string; verdict: string; confidence: number; concerns: string[] }

/** Lines of `# Expert files`: `- <path> (e1, perspective: answered yes)` or `- e2, perspective: no answer — why …`. */
export function listedExperts(text: string): Listed[] {
  return (section(text, 'Expert files') ?? '').split('\n').flatMap((line): Listed[] => {
    const answered = /^\s*-\s+(\S+)\s+\((e\d+),\s*(.+?):\s*answered\s+\w+\)\s*$/.exec(line);
    if (answered) return [{ path: answered[1], id: answered[2], perspective: answered[3], gap: null }];
    const gap = /^\s*-\s+(e\d+),\s*(.+?):\s*no answer\s+\u2014\s+(.*)$/.exec(line);
    return gap ? [{ path: null, id: gap[1], perspective: gap[2], gap: gap[3].replace(/\s*\(a gap:.*\)\s*$/, '') }] : [];
  });
}

/** The JSON block under `## Verdict` in an expert's file, as the simulated model reads it. */
function opinionOf(l: Listed, fileText: string): Opinion | null {
  const m = /## Verdict[\s\S]*?```(?:json)?\s*\n([\s\S]*?)\n```/.exec(fileText);
  if (!m) return null;
  try {
    const v = JSON.parse(m[1]) as { verdict?: unknown; confidence?: unknown; concerns?: unknown };
    if (typeof v.verdict !== 'string') return null;
    return {
      id: l.id, perspective: l.perspective, verdict: v.verdict,
      confidence: typeof v.confidence === 'number' ? v.confidence : 0,
      concerns: Array.isArray(v.concerns) ? v.concerns.filter((c): c is string => typeof c === 'string') : [],
    };
  } catch {
    return null;
  }
}

/**
 * The consensus: read every listed expert file, then write summary.md with the verdict (the
 * tally's majority; "No verdict" when the tally says the quorum was not met), where the experts
 * agree (concerns several raised, shared verdicts) and where they disagree, then one sentence.
 */
export function consensusReply(req: ParsedRequest): Reply {
  const text = promptText(req);
  const listed = listedExperts(text);
  const calls = toolCalls(req);
  const writes = calls.filter((c) => c.name === 'write_output' && c.result);
  const reads = calls.filter((c) => c.name === 'read_file' && c.result && !c.result.isError);
  const opinions = listed.flatMap((l) => {
    const read = reads.find((c) => stringInput(c, 'path') === l.path);
    const o = read ? opinionOf(l, withoutLineNumbers(read.result!.text)) : null;
    return o ? [o] : [];
  });
  const tally = section(text, 'Tally') ?? '';
  const quorumMissed = /NOT met/.test(tally);
  const majority = /(?:Majority|Unanimous): \*\*(\w+)\*\*/.exec(tally)?.[1] ?? null;
  const headline = quorumMissed ? `no verdict (quorum not met; provisional lean: ${majority ?? 'none'})` : majority ?? 'no majority (the panel is split)';

  if (writes.some((c) => c.result && !c.result.isError)) {
    return { kind: 'message', content: [{ type: 'text', text: `The panel's answer is ${headline}, from ${plural(opinions.length, 'expert verdict')}.` }] };
  }
  if (writes.length >= 2) return { kind: 'message', content: [{ type: 'text', text: `Failed. write_output was refused for ${field(text, 'Output file') ?? 'summary.md'}.` }] };
  const toRead = listed.filter((l) => l.path && !reads.some((c) => stringInput(c, 'path') === l.path));
  if (reads.length === 0 && toRead.length) {
    return {
      kind: 'message',
      content: [
        { type: 'text', text: `Reading ${toRead.length} expert files.` },
        ...toRead.map((l) => ({ type: 'tool_use' as const, name: 'read_file', input: { path: l.path! } })),
      ],
    };
  }
  const question = (section(text, 'Question') ?? 'the question').trim();
  return { kind: 'message', content: [{ type: 'tool_use', name: 'write_output', input: { content: summary(question, headline, quorumMissed, opinions, listed) } }] };
}

const who = (o: { id: string; perspective: string }): string => `${o.id} (${o.perspective})`;

/** The experts' concerns that cite a file, most severe first, each with its severity tag and who raised it. */
function findings(opinions: Opinion[]): string[] {
  const by = new Map<string, string[]>();
  for (const o of opinions) for (const c of o.concerns) if (c.startsWith('`')) by.set(c, [...(by.get(c) ?? []), o.id]);
  const rows = [...by.entries()].map(([c, ids]) => ({ c, ids, sev: severityOf(c) }))
    .sort((a, b) => SEVERITIES.indexOf(a.sev) - SEVERITIES.indexOf(b.sev));
  return rows.length ? rows.map((r) => `- [${r.sev}] ${truncate(r.c, 200)} (${r.ids.join(', ')})`) : ['None.'];
}

function summary(question: string, headline: string, quorumMissed: boolean, opinions: Opinion[], listed: Listed[]): string {
  const byVerdict = new Map<string, Opinion[]>();
  for (const o of opinions) byVerdict.set(o.verdict, [...(byVerdict.get(o.verdict) ?? []), o]);
  const byConcern = new Map<string, Opinion[]>();
  for (const o of opinions) for (const c of o.concerns) byConcern.set(c, [...(byConcern.get(c) ?? []), o]);
  const shared = [...byConcern.entries()].filter(([, os]) => os.length > 1);
  const gaps = listed.filter((l) => l.gap);

  const agree: string[] = [];
  for (const [v, os] of byVerdict) if (os.length > 1) agree.push(`- ${os.map(who).join(', ')} all answer **${v}**.`);
  for (const [c, os] of shared.slice(0, 5)) agree.push(`- ${truncate(c, 200)} — raised by ${os.map(who).join(', ')}.`);
  const disagree: string[] = byVerdict.size > 1
    ? [...byVerdict.entries()].map(([v, os]) => `- **${v}**: ${os.map((o) => `${who(o)}, confidence ${o.confidence.toFixed(2)}${o.concerns[0] ? ` — "${truncate(o.concerns[0], 160)}"` : ''}`).join('; ')}`)
    : ['- No expert disagrees on the verdict.'];
  const own = opinions.flatMap((o) => o.concerns.filter((c) => byConcern.get(c)!.length === 1).slice(0, 1).map((c) => `- Only ${who(o)} raises: ${truncate(c, 200)}`));
  const conditions = [...new Set(opinions.filter((o) => o.verdict === 'conditional').flatMap((o) => o.concerns))].slice(0, 5);

  return [
    SIMULATED_LABEL, '', '# Panel answer', '', `Question: ${truncate(question.replace(/\s+/g, ' '), 300)}`, '', '## Verdict', '',
    quorumMissed
      ? `No verdict: quorum not met. ${plural(opinions.length, 'expert')} answered; the provisional lean is ${headline.replace(/^.*lean: /, '').replace(/\)$/, '')}.`
      : `The panel answers **${headline}**, from ${plural(opinions.length, 'expert verdict')} read from their files.`,
    ...(gaps.length ? ['', `Not heard: ${gaps.map((g) => `${who(g)} — ${truncate(g.gap ?? '', 160)}`).join('; ')}.`] : []),
    '', '## Where experts agree', '', ...(agree.length ? agree : ['- No two experts gave the same verdict or concern.']),
    '', '## Where experts disagree', '', ...disagree, ...own,
    ...(conditions.length ? ['', '## Conditions', '', ...conditions.map((c, i) => `${i + 1}. ${truncate(c, 200)}`)] : []),
    '', '## Findings', '', ...findings(opinions),
    '', SENTINEL,
  ].join('\n');
}
