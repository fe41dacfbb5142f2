import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config';
import { compilePanel, CONSENSUS_ID } from '../../src/engine/patterns/panel/compile';
import { quorumOf, type PanelPlan } from '../../src/engine/patterns/panel/plan';
import { renderTally, tallyPanel, type ExpertOutcome } from '../../src/engine/patterns/panel/tally';
import { extractVerdict, missingSections, type Verdict, type VerdictCheck } from '../../src/engine/patterns/panel/verdict';
import { validatePlan } from '../../src/engine/patterns/registry';

const config = parseConfig({});
const exists = (p: string): boolean => ['src', 'docs', 'src/a.ts'].includes(p);
const PERSPECTIVES = ['security reviewer', 'SRE', 'maintainer', 'test engineer', 'data engineer', 'product owner', 'accessibility reviewer', 'lawyer'];

function panelInput(n = 5, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pattern: 'panel', task: 'Is it ready?', question: 'Is the order service ready for production?',
    experts: Array.from({ length: n }, (_, i) => ({
      id: `e${i + 1}`, perspective: PERSPECTIVES[i], task: 'Judge the service from this angle', tier: 'sonnet',
    })),
    ...over,
  };
}

function check(input: unknown, focus: string[] = []): string[] {
  const r = validatePlan(input, { config, focus, scopeExists: exists });
  return r.ok ? [] : r.errors;
}

describe('panel plan validation', () => {
  it('accepts 3–7 experts with distinct perspectives and fills the defaults', () => {
    const r = validatePlan(panelInput(3), { config, focus: [], scopeExists: exists });
    expect(r.ok).toBe(true);
    expect(r.ok && r.plan).toMatchObject({ pattern: 'panel', brief: '', focus: [], experts: [{ id: 'e1', scope: [] }, {}, {}] });
    expect(check(panelInput(7))).toEqual([]);
  });

  it('rejects a panel of one expert with the count and the bounds', () => {
    expect(check(panelInput(1))).toEqual(['Panel has 1 expert; between 3 and 7 are allowed, each with a distinct perspective']);
  });

  it('rejects a panel of eight experts', () => {
    expect(check(panelInput(8)).join('\n')).toMatch(/Panel has 8 experts; between 3 and 7 are allowed/);
  });

  it('rejects two experts whose perspectives differ only in case and punctuation', () => {
    const input = panelInput(4);
    (input.experts as Array<{ perspective: string }>)[3].perspective = 'Security  Reviewer.';
    expect(check(input)).toEqual(['Experts "e1" and "e4" share the perspective "Security  Reviewer."; each expert needs a distinct perspective']);
  });

  it('rejects a repeated id, a bad id, a quorum above the panel and a scope outside the focus', () => {
    const input = panelInput(3, { quorum: 4 });
    const experts = input.experts as Array<{ id: string; scope?: string[] }>;
    experts[1].id = 'e1';
    experts[2].scope = ['docs'];
    expect(check(input, ['src'])).toEqual([
      'Expert id "e1" is used twice',
      'Expert "e3" has scope "docs", outside the focus (src); use only paths inside it',
      'Quorum is 4 but the panel has 3 experts; the quorum must be at most the number of experts',
    ]);
    experts[1].id = 'x2';
    expect(check(input).join('\n')).toMatch(/plan\.experts\.1\.id: expert id is e and a number, like e1/);
  });

  it('takes a strict majority of the planned experts as the default quorum', () => {
    const q = (n: number, quorum?: number) => quorumOf({ experts: Array.from<PanelPlan['experts'][number]>({ length: n }), ...(quorum ? { quorum } : {}) });
    expect([3, 4, 5, 6, 7].map((n) => q(n))).toEqual([2, 3, 3, 4, 4]);
    expect(q(5, 5)).toBe(5);
  });
});

describe('panel compile', () => {
  it('gives experts no dependencies and the consensus all of them, writing summary.md', () => {
    const r = validatePlan(panelInput(4), null);
    if (!r.ok) throw new Error(r.errors.join());
    const { agents, groups } = compilePanel(r.plan as PanelPlan, config);
    expect(agents.map((a) => [a.id, a.role, a.domain, a.dependsOn.length, a.outputFile])).toEqual([
      ['e1', 'expert', 'experts', 0, 'experts/e1.md'], ['e2', 'expert', 'experts', 0, 'experts/e2.md'],
      ['e3', 'expert', 'experts', 0, 'experts/e3.md'], ['e4', 'expert', 'experts', 0, 'experts/e4.md'],
      [CONSENSUS_ID, 'consensus', null, 4, 'summary.md'],
    ]);
    expect(agents[0].task).toBe('security reviewer — Judge the service from this angle');
    expect(groups).toEqual([{ id: 'experts', label: 'Experts (4)' }]);
  });
});

/** The error of a failed check; '' for a verdict, so a wrong success fails the match. */
const errorOf = (r: VerdictCheck): string => (r.ok ? '' : r.error);

const file = (block: string, heading = '## Verdict'): string => `# e1\n\nReasoning.\n\n${heading}\n\n${block}\n\n<!-- DONE -->\n`;

describe('verdict extraction', () => {
  it('reads the fenced JSON block under ## Verdict', () => {
    const r = extractVerdict(file('```json\n{"verdict": "conditional", "confidence": 0.7, "concerns": ["no rate limit"]}\n```'));
    expect(r).toEqual({ ok: true, verdict: { verdict: 'conditional', confidence: 0.7, concerns: ['no rate limit'] } });
    expect(extractVerdict(file('~~~\n{"verdict": "yes", "confidence": 1, "concerns": []}\n~~~', '### Verdict (final)')).ok).toBe(true);
  });

  it('ignores a JSON block outside the Verdict section', () => {
    const text = '# e1\n\n```json\n{"verdict": "yes", "confidence": 1, "concerns": []}\n```\n\n## Verdict\n\nI lean yes.\n\n## Notes\n\n```json\n{}\n```\n';
    expect(errorOf(extractVerdict(text))).toMatch(/^the "## Verdict" section has no fenced ```json block/);
  });

  it('says when the section is missing or the JSON does not parse', () => {
    expect(errorOf(extractVerdict('# e1\n\nYes.\n'))).toMatch(/^there is no "## Verdict" section/);
    expect(errorOf(extractVerdict(file('```json\n{verdict: yes}\n```')))).toMatch(/^the verdict block is not valid JSON \(/);
  });

  it('names each field that breaks the schema and what came', () => {
    const r = extractVerdict(file('```json\n{"verdict": "maybe", "confidence": 1.5, "concerns": ["a","b","c","d","e","f"], "mood": "ok"}\n```'));
    expect(r.ok).toBe(false);
    const error = r.ok ? '' : r.error;
    expect(error).toMatch(/verdict\.verdict: Invalid option: expected one of "yes"\|"conditional"\|"no"; got "maybe"/);
    expect(error).toMatch(/verdict\.confidence: .*1; got 1\.5/);
    expect(error).toMatch(/verdict\.concerns: .*5/);
    expect(error).toMatch(/mood/);
  });

  it('finds the sections a consensus summary lacks', () => {
    const text = '# Answer\n\n## Verdict\n\nYes.\n\n## Where experts agree (all five)\n\n- x\n';
    expect(missingSections(text, ['Verdict', 'Where experts agree', 'Where experts disagree'])).toEqual(['Where experts disagree']);
  });
});

const v = (verdict: Verdict['verdict'], confidence = 0.8, concerns: string[] = []): Verdict => ({ verdict, confidence, concerns });
const expert = (id: string, verdict: Verdict | null, gap: string | null = null): ExpertOutcome =>
  ({ id, perspective: `role ${id}`, file: `experts/${id}.md`, verdict, gap });

describe('panel tally', () => {
  it('counts agreement, names the dissent and the gap, and checks the quorum', () => {
    const t = tallyPanel('Ready?', 3, [
      expert('e1', v('conditional', 0.6)), expert('e2', v('no', 0.9, ['a | b'])), expert('e3', v('conditional', 0.8)),
      expert('e4', v('conditional', 0.7)), expert('e5', null, 'failed — timed out after 300 s'),
    ]);
    expect(t).toMatchObject({
      planned: 5, answered: 4, quorum: 3, quorumMet: true, majority: 'conditional', agreement: 0.75, unanimous: false,
      counts: { yes: 0, conditional: 3, no: 1 }, shares: { yes: 0, conditional: 0.75, no: 0.25 },
      meanConfidence: { yes: null, conditional: 0.7, no: 0.9 },
      dissenters: [{ id: 'e2', perspective: 'role e2', verdict: 'no' }],
      gaps: [{ id: 'e5', perspective: 'role e5', reason: 'failed — timed out after 300 s' }],
    });
    expect(t.line).toBe('answered 4 of 5; quorum 3 met; majority conditional (3 of 4, 75 %); dissent: e2 no; gap: e5');
    const md = renderTally(t);
    expect(md).toContain('quorum of 3 met');
    expect(md).toContain('| e2 | role e2 | no | 0.90 | a \\| b |');
    expect(md).toContain('| e5 | role e5 | — (gap) | — | failed — timed out after 300 s |');
  });

  it('calls a tie a split: no majority and no dissenters', () => {
    const t = tallyPanel('Ready?', 2, [expert('e1', v('yes')), expert('e2', v('no')), expert('e3', v('yes')), expert('e4', v('no'))]);
    expect(t).toMatchObject({ majority: null, agreement: 0, dissenters: [], unanimous: false });
    expect(t.line).toBe('answered 4 of 4; quorum 2 met; split: 2 yes, 2 no');
    expect(renderTally(t)).toContain('No majority: the panel is split');
  });

  it('marks a unanimous panel, and a panel below quorum as provisional', () => {
    expect(tallyPanel('Ready?', 2, [expert('e1', v('yes')), expert('e2', v('yes')), expert('e3', v('yes'))]))
      .toMatchObject({ unanimous: true, majority: 'yes', agreement: 1, line: 'answered 3 of 3; quorum 2 met; unanimous yes (3 of 3, 100 %)' });
    const low = tallyPanel('Ready?', 3, [expert('e1', v('yes')), expert('e2', null, 'skipped'), expert('e3', null, 'failed')]);
    expect(low).toMatchObject({ answered: 1, quorumMet: false });
    expect(low.line).toBe('answered 1 of 3; quorum 3 not met; unanimous yes (1 of 1, 100 %); gaps: e2, e3');
    expect(renderTally(low)).toContain('quorum of 3 NOT met: the panel\'s verdict is provisional');
    expect(tallyPanel('Ready?', 2, [expert('e1', null, 'failed'), expert('e2', null, 'failed')]).line)
      .toBe('answered 0 of 2; quorum 2 not met; no verdicts; gaps: e1, e2');
  });
});
