/**
 * The engine's count of the panel: who answered, what they said, whether enough answered for the
 * verdict to stand. Computed by the engine, not the consensus model, so the numbers are never
 * invented; the consensus reads them, and so do tally.json, summary.md and the UI.
 */
import { VERDICTS, type Verdict, type VerdictValue } from './verdict';
import { noun } from '../../../shared/words';

/** One expert as the tally sees it: a verdict, or the reason there is none (a named gap). */
export interface ExpertOutcome {
  id: string;
  perspective: string;
  /** The expert's file, relative to the run folder. */
  file: string;
  verdict: Verdict | null;
  gap: string | null;
}

export interface Tally {
  question: string;
  planned: number;
  answered: number;
  quorum: number;
  quorumMet: boolean;
  counts: Record<VerdictValue, number>;
  /** Share of the answering experts per verdict, 0–1. */
  shares: Record<VerdictValue, number>;
  /** Mean confidence of the experts who gave each verdict; null when nobody gave it. */
  meanConfidence: Record<VerdictValue, number | null>;
  /** The verdict most answering experts gave; null when the top is tied or nobody answered. */
  majority: VerdictValue | null;
  /** Share of the answering experts who gave the majority verdict (0 without a majority). */
  agreement: number;
  unanimous: boolean;
  /** Answering experts whose verdict is not the majority's (empty without a majority: it is a split). */
  dissenters: Array<{ id: string; perspective: string; verdict: VerdictValue }>;
  /** Experts without a verdict, and why. */
  gaps: Array<{ id: string; perspective: string; reason: string }>;
  experts: ExpertOutcome[];
  /** The tally in one line, for logs, returns and headings. */
  line: string;
}

const zeroes = <T>(v: T): Record<VerdictValue, T> => ({ yes: v, conditional: v, no: v });
const pct = (x: number): string => `${Math.round(x * 100)} %`;

/** Tallies the experts' outcomes against the quorum (answers needed for the verdict to stand). */
export function tallyPanel(question: string, quorum: number, experts: readonly ExpertOutcome[]): Tally {
  const answered = experts.filter((e): e is ExpertOutcome & { verdict: Verdict } => e.verdict !== null);
  const counts = zeroes(0);
  const confidenceSum = zeroes(0);
  for (const e of answered) {
    counts[e.verdict.verdict]++;
    confidenceSum[e.verdict.verdict] += e.verdict.confidence;
  }
  const shares = zeroes(0);
  const meanConfidence = zeroes<number | null>(null);
  for (const v of VERDICTS) {
    shares[v] = answered.length ? counts[v] / answered.length : 0;
    meanConfidence[v] = counts[v] ? Math.round((confidenceSum[v] / counts[v]) * 100) / 100 : null;
  }
  const top = Math.max(...VERDICTS.map((v) => counts[v]));
  const leaders = VERDICTS.filter((v) => counts[v] === top);
  const majority = top > 0 && leaders.length === 1 ? leaders[0] : null;
  const dissenters = majority === null ? [] : answered
    .filter((e) => e.verdict.verdict !== majority)
    .map((e) => ({ id: e.id, perspective: e.perspective, verdict: e.verdict.verdict }));
  const gaps = experts.filter((e) => e.verdict === null).map((e) => ({ id: e.id, perspective: e.perspective, reason: e.gap ?? 'no verdict' }));
  const tally: Omit<Tally, 'line'> = {
    question, planned: experts.length, answered: answered.length, quorum, quorumMet: answered.length >= quorum,
    counts, shares, meanConfidence, majority, agreement: majority ? shares[majority] : 0,
    unanimous: majority !== null && dissenters.length === 0, dissenters, gaps, experts: [...experts],
  };
  return { ...tally, line: tallyLine(tally) };
}

function tallyLine(t: Omit<Tally, 'line'>): string {
  const parts = [`answered ${t.answered} of ${t.planned}`, `quorum ${t.quorum} ${t.quorumMet ? 'met' : 'not met'}`];
  if (t.answered === 0) parts.push('no verdicts');
  else if (t.majority === null) parts.push(`split: ${VERDICTS.filter((v) => t.counts[v]).map((v) => `${t.counts[v]} ${v}`).join(', ')}`);
  else {
    parts.push(`${t.unanimous ? 'unanimous' : 'majority'} ${t.majority} (${t.counts[t.majority]} of ${t.answered}, ${pct(t.agreement)})`);
    if (t.dissenters.length) parts.push(`dissent: ${t.dissenters.map((d) => `${d.id} ${d.verdict}`).join(', ')}`);
  }
  if (t.gaps.length) parts.push(`${noun(t.gaps.length, 'gap')}: ${t.gaps.map((g) => g.id).join(', ')}`);
  return parts.join('; ');
}

const cell = (s: string): string => s.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();

/** The tally as markdown: a headline and one table row per expert (the consensus prompt and summary.md show it). */
export function renderTally(t: Tally): string {
  const headline = t.quorumMet
    ? `**Answered ${t.answered} of ${t.planned} experts — quorum of ${t.quorum} met.**`
    : `**Answered ${t.answered} of ${t.planned} experts — quorum of ${t.quorum} NOT met: the panel's verdict is provisional.**`;
  const counts = VERDICTS.map((v) => `${v} ${t.counts[v]}${t.meanConfidence[v] !== null ? ` (mean confidence ${t.meanConfidence[v].toFixed(2)})` : ''}`).join(' · ');
  const lead = t.answered === 0 ? 'No expert answered.'
    : t.majority === null ? `No majority: the panel is split (${counts}).`
    : `${t.unanimous ? 'Unanimous' : 'Majority'}: **${t.majority}** (${t.counts[t.majority]} of ${t.answered}, ${pct(t.agreement)}). Counts: ${counts}.`;
  const dissent = t.dissenters.length
    ? `Dissent: ${t.dissenters.map((d) => `${d.id} (${cell(d.perspective)}) says ${d.verdict}`).join('; ')}.`
    : '';
  const gaps = t.gaps.length
    ? `Gaps (no verdict): ${t.gaps.map((g) => `${g.id} (${cell(g.perspective)}) — ${cell(g.reason)}`).join('; ')}.`
    : '';
  const rows = t.experts.map((e) => e.verdict
    ? `| ${e.id} | ${cell(e.perspective)} | ${e.verdict.verdict} | ${e.verdict.confidence.toFixed(2)} | ${e.verdict.concerns.map(cell).join('; ') || '—'} |`
    : `| ${e.id} | ${cell(e.perspective)} | — (gap) | — | ${cell(e.gap ?? 'no verdict')} |`);
  return [
    headline, '', [lead, dissent, gaps].filter(Boolean).join(' '), '',
    '| Expert | Perspective | Verdict | Confidence | Top concerns |', '|---|---|---|---|---|', ...rows,
  ].join('\n');
}
