import { describe, expect, it } from 'vitest';
import { extractHandoff, HANDOFF_MAX_WORDS, renderHandoff } from '../../src/engine/patterns/pipeline/handoff';

const parts = {
  summary: 'Read the retry helper and its callers. Found two call sites and one missing test.',
  state: '- `retry()` backs off exponentially\n- called from `src/db/client.js` line 12',
  next: 'Outline one page per exported function.',
  artifacts: '- `src/utils/retry.js` — the helper\n- `.orchestration/r/stages/s1.md` — the full research',
};

function file(over: Partial<typeof parts> = {}, { drop = '', extra = '' } = {}): string {
  const p = { ...parts, ...over };
  const sections: Array<[string, string]> = [['Summary', p.summary], ['State', p.state], ['Next action', p.next], ['Artifacts', p.artifacts]];
  return ['# s1: Research', '', '## Work', 'Long work here.', '', '## Handoff',
    ...sections.filter(([h]) => h !== drop).flatMap(([h, body]) => [`### ${h}`, body, '']), extra, '<!-- DONE -->', ''].join('\n');
}

describe('the handoff check', () => {
  it('extracts the four parts of a well-formed handoff', () => {
    expect(extractHandoff(file())).toEqual({
      ok: true, handoff: { summary: parts.summary, state: parts.state, nextAction: parts.next, artifacts: parts.artifacts },
    });
  });

  it('names the missing heading and the expected order', () => {
    const r = extractHandoff(file({}, { drop: 'Next action' }));
    expect(r).toEqual({
      ok: false,
      error: 'the `## Handoff` section has the headings `### Summary`, `### State`, `### Artifacts` (missing `### Next action`); '
        + 'expected exactly `### Summary`, `### State`, `### Next action`, `### Artifacts` in that order',
    });
  });

  it('rejects headings out of order', () => {
    const text = file().replace('### State', '### X').replace('### Summary', '### State').replace('### X', '### Summary');
    expect(!extractHandoff(text).ok && (extractHandoff(text) as { error: string }).error).toMatch(/has the headings `### State`, `### Summary`/);
  });

  it('says so when there is no handoff at all', () => {
    const r = extractHandoff('# Work\n\nDone things.\n<!-- DONE -->\n');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^the file has no `## Handoff` section; expected `## Handoff` followed by `### Summary`/);
  });

  it('ignores a handoff quoted inside a code block, and uses the real one', () => {
    const quoted = '```md\n## Handoff\n### Summary\nnot this\n```\n';
    const r = extractHandoff(quoted + file());
    expect(r.ok && r.handoff.summary).toBe(parts.summary);
    expect(extractHandoff(`# Work\n${quoted}<!-- DONE -->`).ok).toBe(false);
  });

  it('requires the handoff to be the last section', () => {
    const r = extractHandoff(file({}, { extra: '## Appendix\nmore' }));
    expect(!r.ok && r.error).toBe('the `## Handoff` section must be the last section of the file, but `## Appendix` follows it');
  });

  it('rejects an empty part, naming it', () => {
    const r = extractHandoff(file({ next: '' }));
    expect(!r.ok && r.error).toBe('`### Next action` of the handoff is empty');
  });

  it('allows at most three sentences in the summary, not counting abbreviations or file names', () => {
    expect(extractHandoff(file({ summary: 'Read e.g. the helper in src/a.js and v1.2 notes. Found two call sites. One test is missing.' })).ok).toBe(true);
    const r = extractHandoff(file({ summary: 'One. Two. Three. Four.' }));
    expect(!r.ok && r.error).toBe('`### Summary` of the handoff has 4 sentences; it must have 2–3');
  });

  it('requires artifacts as a list or None', () => {
    expect(extractHandoff(file({ artifacts: 'None.' })).ok).toBe(true);
    const r = extractHandoff(file({ artifacts: 'the research file' }));
    expect(!r.ok && r.error).toMatch(/^`### Artifacts` of the handoff must be a list/);
  });

  it('caps the handoff size so the next stage is not handed the whole work', () => {
    const r = extractHandoff(file({ state: 'word '.repeat(HANDOFF_MAX_WORDS) }));
    expect(!r.ok && r.error).toMatch(new RegExp(`^the handoff has \\d+ words; at most ${HANDOFF_MAX_WORDS} are allowed`));
  });

  it('renders a handoff file that passes the same check after re-wrapping', () => {
    const r = extractHandoff(file());
    if (!r.ok) throw new Error(r.error);
    const text = renderHandoff('Handoff from s1 (Research)', r.handoff);
    expect(text.match(/^## .*$/gm)).toEqual(['## Summary', '## State', '## Next action', '## Artifacts']);
    expect(text.trimEnd().endsWith('<!-- DONE -->')).toBe(true);
    const again = extractHandoff(text.replace('# Handoff from s1 (Research)', '## Handoff').replace(/^## (?!Handoff)/gm, '### '));
    expect(again).toEqual(r);
  });
});
