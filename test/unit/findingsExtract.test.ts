import { describe, expect, it } from 'vitest';
import { extractFindings, selectFindings, severityOf } from '../../src/engine/findings';
import { builderTask } from '../../src/engine/patterns/build/compile';
import { validateBuilders, validateBuild, type BuildPlan } from '../../src/engine/patterns/build/plan';
import { parseConfig } from '../../src/engine/config';
import type { Finding } from '../../src/engine/pipelineFiles';

describe('findings from a fan-out coordinator\'s synthesis', () => {
  const synthesis = [
    '# Synthesis — Domain a (api)', '', '## Summary', 'Three findings.', '', '## Failed workers', '- None.', '',
    '## Top findings',
    '1. [critical] `src/api/orders.js` line 6: query built from interpolated values (possible SQL injection) — a1, a3',
    '2. [high] `src/auth/session.js:12` — secret compared with ===, timing-unsafe (a2)',
    '3. [medium] `src/api/server.js`: 1 TODO/FIXME marker (line 5) — a2',
    '', '## Per-worker details', '', '### a1 — completed', '- [critical] `src/api/orders.js` line 6: the same, listed again', '', '<!-- DONE -->',
  ].join('\n');

  it('lists each ranked finding with its severity on three tiers, its file and line, and leaves the per-worker details out', () => {
    expect(extractFindings(synthesis)).toEqual([
      { text: 'query built from interpolated values (possible SQL injection) — a1, a3', severity: 'critical', file: 'src/api/orders.js', line: 6 },
      { text: 'secret compared with ===, timing-unsafe (a2)', severity: 'major', file: 'src/auth/session.js', line: 12 },
      { text: '1 TODO/FIXME marker (line 5) — a2', severity: 'minor', file: 'src/api/server.js', line: 5 },
    ]);
  });
});

describe('findings from a panel consensus and a map-reduce final', () => {
  it('reads the consensus\'s Findings section, leaving out Conditions that only repeat them and where experts agree', () => {
    const md = [
      '## Verdict', 'Conditional.', '', '## Where experts agree', '- e1 and e2 both answer **no**.', '',
      '## Conditions', '1. Rotate the session secret first.', '',
      '## Findings', '', '- [critical] `src/auth/session.js:2` — hard-coded secret (e1, e3)', '- **Minor**: `docs/ops.md` is stale', '',
    ].join('\n');
    expect(extractFindings(md).map((f) => [f.severity, f.file, f.line])).toEqual([['critical', 'src/auth/session.js', 2], ['minor', 'docs/ops.md', null]]);
    // An older consensus without a Findings section: its conditions are what to fix.
    const older = extractFindings(md.slice(0, md.indexOf('## Findings')));
    expect(older).toEqual([{ text: 'Rotate the session secret first.', severity: null, file: null, line: null }]);
  });

  it('reads a findings table by its header cells', () => {
    const md = [
      '# Summary', '', '## Issues found', '',
      '| Severity | File | Finding |', '| --- | --- | --- |',
      '| High | `lib/a.py:40` | Unbounded retry loop |', '| low | lib/b.py | Missing docstring |',
    ].join('\n');
    expect(extractFindings(md)).toEqual([
      { text: 'Unbounded retry loop', severity: 'major', file: 'lib/a.py', line: 40 },
      { text: 'Missing docstring', severity: 'minor', file: 'lib/b.py', line: null },
    ]);
  });

  it('reads findings written as headings with prose under a findings heading', () => {
    const md = '## Findings\n\n### [Critical] SQL injection in `src/db.js:3`\n\nThe query is concatenated.\n\n### Style\n\n- [minor] `src/x.js` — long lines\n';
    expect(extractFindings(md)).toEqual([
      { text: 'SQL injection in `src/db.js:3`: The query is concatenated.', severity: 'critical', file: 'src/db.js', line: 3 },
      { text: 'long lines', severity: 'minor', file: 'src/x.js', line: null },
    ]);
  });
});

describe('free-form and garbage input', () => {
  it('without a findings heading, keeps only list items that state a severity', () => {
    const md = 'Some prose.\n\n- a plain note\n- Severity: high — the cache is never evicted in src/cache/lru.ts\n* [LOW] typo in `README.md`\n';
    expect(extractFindings(md)).toEqual([
      { text: 'Severity: high — the cache is never evicted in src/cache/lru.ts', severity: 'major', file: 'src/cache/lru.ts', line: null },
      { text: 'typo in `README.md`', severity: 'minor', file: 'README.md', line: null },
    ]);
  });

  it('yields nothing for empty sections, non-markdown and binary-looking text', () => {
    expect(extractFindings('## Top findings\n- No actionable findings were reported.\n')).toEqual([]);
    expect(extractFindings('')).toEqual([]);
    expect(extractFindings('{"json": true, "findings": [1, 2]}')).toEqual([]);
    expect(extractFindings('\u0000\u0001\u0002\n```unclosed\n- [critical] inside a fence')).toEqual([]);
    expect(extractFindings('## Findings\n\nJust a paragraph, no list.\n')).toEqual([]);
  });

  it('maps severity words onto critical, major and minor', () => {
    expect(['critical', 'high', 'major', 'medium', 'minor', 'low', 'bogus'].map(severityOf)).toEqual(['critical', 'major', 'major', 'minor', 'minor', 'minor', null]);
  });
});

const finding = (id: string, file: string | null): Finding => ({ id, text: `finding ${id}`, severity: 'major', file, line: null, source: 'synthesis/a.md' });

describe('choosing findings and planning from them', () => {
  const list = [finding('F1', 'src/a.js'), finding('F2', null), finding('F3', 'src/b.js')];

  it('selects by number, by id or all, and names a selection that does not fit', () => {
    expect(selectFindings(list, '1,3')).toMatchObject({ ok: true, findings: [{ id: 'F1' }, { id: 'F3' }] });
    expect(selectFindings(list, 'F2 f3')).toMatchObject({ ok: true, findings: [{ id: 'F2' }, { id: 'F3' }] });
    expect(selectFindings(list, 'all')).toMatchObject({ ok: true, findings: list });
    expect(selectFindings(list, '4')).toEqual({ ok: false, reason: '"4" is not one of the findings (1–3, or all)' });
    expect(selectFindings(list, ' ')).toMatchObject({ ok: false });
  });

  const config = parseConfig({});
  const ctx = { config, focus: [], scopeExists: (p: string) => ['src', 'src/a.js', 'src/b.js'].includes(p), findings: list };

  it('requires every existing cited file in some scout\'s scope', () => {
    const plan = { pattern: 'build', task: 't', reason: '', focus: [], brief: '', base: '', builders: [], scouts: [{ id: 's1', task: 'Confirm F1 in src/a.js', scope: ['src/a.js'] }] } as BuildPlan;
    expect(validateBuild(plan, ctx)).toEqual(['Finding F3 cites "src/b.js", which no scout\'s scope covers; scope the scouts to the files the findings cite']);
    expect(validateBuild({ ...plan, scouts: [{ id: 's1', task: 'Confirm F1 and F3', scope: ['src'] }] }, ctx)).toEqual([]);
  });

  it('accepts builders addressing the given findings only, and leads their task with the ids', () => {
    const b = { id: 'b1', task: 'Escape the query', owns: ['src/a.js'], tier: 'sonnet' as const, addresses: ['F1', 'F9'] };
    expect(validateBuilders([b], ctx)).toEqual(['Builder "b1" addresses "F9", which is not one of the findings (F1, F2, F3)']);
    expect(builderTask(b)).toBe('Fixes F1, F9: Escape the query');
    expect(builderTask({ task: 'Escape the query' })).toBe('Escape the query');
  });
});
