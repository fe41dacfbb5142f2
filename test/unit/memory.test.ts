/** Memory: lessons from a run folder, proposals and the user's decision, memory.md read as untrusted input, and its budget. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config';
import { resolveConfig } from '../../src/engine/trust/configPolicy';
import { loadMemoryBlock, memoryForPrompt } from '../../src/engine/memory/budget';
import { extractLessons, sameReason } from '../../src/engine/memory/lessons';
import { appendMemory, MEMORY_MAX_BYTES, parseMemory, readMemory } from '../../src/engine/memory/memoryFile';
import { decideLessons, proposeLessons, readProposals, PROPOSALS_FILE } from '../../src/engine/memory/proposals';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const RUN = '20261207-101500-abcd';

/** A workspace with an output root and one run folder in it. */
function workspace(): { ws: string; runDir: string } {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'orch-mem-'));
  dirs.push(ws);
  const runDir = path.join(ws, '.orchestration', RUN);
  mkdirSync(runDir, { recursive: true });
  return { ws, runDir };
}

function put(dir: string, file: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), text);
}

function review(runDir: string, id: string, first: string[], last: { verdict: 'approve' | 'changes_requested'; reasons: string[] }): void {
  put(runDir, `reviews/${id}-1.md`, [`# Review of ${id}`, '', 'Verdict: **changes requested**', '', 'Not yet.', '', '## Reasons', '', ...first.map((r) => `- ${r}`), '', '<!-- DONE -->', ''].join('\n'));
  put(runDir, `reviews/${id}.json`, JSON.stringify({ ...last, summary: 'Again.', revised: true }));
}

const checkError = (tail: string, code = 1) => `the verification command \`npm test\` failed with exit code ${code} (full output in checks/b1.log); its output ends with:\n${tail}`;

function events(runDir: string, errs: Array<{ id: string; status: 'retrying' | 'failed'; error: string }>): void {
  mkdirSync(path.join(runDir, 'checks'), { recursive: true });
  const lines = errs.map((e, i) => JSON.stringify({ seq: i + 1, t: '2026-12-07T10:00:00.000Z', type: 'agent', ...e }));
  put(runDir, 'events.jsonl', `${lines.join('\n')}\n`);
}

describe('lessons from a run folder', () => {
  it('proposes a reviewer\'s reason given in both reviews of a builder', async () => {
    const { runDir } = workspace();
    review(runDir, 'b1', ['Say which handlers orders.js exports.'], { verdict: 'changes_requested', reasons: ['Say which handlers orders.js exports!', 'Also fix the typo.'] });
    const lessons = await extractLessons(runDir);
    expect(lessons).toEqual([{
      kind: 'review', text: 'A reviewer rejected a change twice for the same reason: Say which handlers orders.js exports!',
      evidence: ['reviews/b1-1.md', 'reviews/b1.json'],
    }]);
  });

  it('proposes nothing for a review whose reasons changed, or that approved the revision', async () => {
    const { runDir } = workspace();
    review(runDir, 'b1', ['Restore the removed code.'], { verdict: 'changes_requested', reasons: ['The comment is in the wrong language.'] });
    review(runDir, 'b2', ['Say which handlers orders.js exports.'], { verdict: 'approve', reasons: [] });
    expect(await extractLessons(runDir)).toEqual([]);
  });

  it('proposes a check that failed twice with the same output, ignoring paths and numbers', async () => {
    const { runDir } = workspace();
    events(runDir, [
      { id: 'b1', status: 'retrying', error: checkError('> test\n/tmp/wt/b1/src/a.test.js:12\nAssertionError: expected 3 to be 4\n') },
      { id: 'b1', status: 'failed', error: checkError('> test\n/tmp/wt/b1/src/a.test.js:13\nAssertionError: expected 5 to be 4\n') },
      { id: 'b2', status: 'retrying', error: checkError('SyntaxError: Unexpected token\n') },
      { id: 'b2', status: 'failed', error: 'the builder reported: Failed. Cannot do it.' },
    ]);
    const lessons = await extractLessons(runDir);
    expect(lessons).toHaveLength(1);
    expect(lessons[0].kind).toBe('check');
    expect(lessons[0].text).toMatch(/^The check `npm test` failed twice for the same cause: .*AssertionError: expected 5 to be 4$/);
    expect(lessons[0].evidence).toEqual(['events.jsonl', 'checks/b1.log']);
  });

  it('proposes two failed rounds of the check on the assembled tree with the same log tail, reading no log outside the run folder', async () => {
    const { runDir } = workspace();
    const log = (n: number) => `$ npm test\n# in integration, exit code 1, ${n} ms\n\nFAIL src/cart.test.js\nTypeError: total is not a function\n`;
    put(runDir, 'checks/integration-0.log', log(120));
    put(runDir, 'checks/integration-1.log', log(340));
    put(path.dirname(runDir), 'outside.log', log(1));
    const round = (r: number, file: string) => ({ round: r, ok: false, code: 1, timedOut: false, log: file, ms: 10 });
    put(runDir, 'integration.json', JSON.stringify({
      status: 'failed', command: 'npm test', ref: 'abc',
      rounds: [round(0, 'checks/integration-0.log'), round(1, 'checks/integration-1.log'), round(2, '../outside.log'), round(3, '/etc/passwd')],
    }));
    const lessons = await extractLessons(runDir);
    expect(lessons).toEqual([{
      kind: 'check',
      text: 'The check `npm test` on the assembled change failed 2 rounds for the same cause: FAIL src/cart.test.js / TypeError: total is not a function',
      evidence: ['integration.json', 'checks/integration-0.log', 'checks/integration-1.log'],
    }]);
  });

  it('proposes findings the user left unticked and hardening findings left not-fixed', async () => {
    const { runDir } = workspace();
    const f = (id: string, text: string, file: string | null) => ({ id, text, file, severity: null, line: null, source: 'synthesis/a.md' });
    put(runDir, 'findings.json', JSON.stringify({
      from: '20250101-000000-aaaa', pattern: 'fan-out',
      findings: [f('F1', 'Passwords are hashed with MD5', 'src/auth/passwords.js')],
      notChosen: [f('F2', 'The retry helper has no jitter', 'src/utils/retry.js'), f('F3', 'Unticked without a file', null)],
    }));
    put(runDir, 'harden/tally.json', JSON.stringify({ enabled: true, critical: 0, major: 1, minor: 0, findings: [
      { id: 'h-security-1', severity: 'major', concern: 'security', file: 'src/api/orders.js', line: 4, text: 'Order ids are guessable', owner: 'b1', status: 'not-fixed' },
      { id: 'h-style-1', severity: 'minor', concern: 'style', file: null, line: null, text: 'Long lines', owner: null, status: 'open' },
    ] }));
    const texts = (await extractLessons(runDir)).map((l) => [l.kind, l.text]);
    expect(texts).toEqual([
      ['finding', 'The user chose not to fix this finding (src/utils/retry.js): The retry helper has no jitter'],
      ['finding', 'The user chose not to fix this finding: Unticked without a file'],
      ['finding', 'A major security finding stayed unfixed after its fix round (h-security-1, src/api/orders.js:4): Order ids are guessable'],
    ]);
  });

  it('merges the same lesson from two builders into one, with both files as evidence', async () => {
    const { runDir } = workspace();
    review(runDir, 'b1', ['Keep the public API unchanged.'], { verdict: 'changes_requested', reasons: ['Keep the public API unchanged.'] });
    review(runDir, 'b2', ['Keep the public API unchanged.'], { verdict: 'changes_requested', reasons: ['Keep the public API unchanged.'] });
    const lessons = await extractLessons(runDir);
    expect(lessons).toHaveLength(1);
    expect(lessons[0].evidence).toEqual(['reviews/b1-1.md', 'reviews/b1.json', 'reviews/b2-1.md', 'reviews/b2.json']);
  });

  it('finds nothing in a run without reviews, checks or findings, and writes no proposals file', async () => {
    const { ws, runDir } = workspace();
    put(runDir, 'events.jsonl', '{"seq":1,"t":"x","type":"run","status":"completed"}\n');
    expect(await extractLessons(runDir)).toEqual([]);
    expect(await proposeLessons({ runDir, runId: RUN, workspace: ws, outputRoot: '.orchestration' })).toEqual([]);
    expect(existsSync(path.join(runDir, PROPOSALS_FILE))).toBe(false);
  });

  it('survives a damaged folder: torn review json, garbage events, binary logs', async () => {
    const { runDir } = workspace();
    put(runDir, 'reviews/b1-1.md', '## Reasons\n- x\n');
    put(runDir, 'reviews/b1.json', '{"verdict": "changes_req');
    events(runDir, []);
    put(runDir, 'events.jsonl', 'not json\n\u0000\u0001\n');
    put(runDir, 'integration.json', '[]');
    put(runDir, 'findings.json', '{"findings": "no"}');
    expect(await extractLessons(runDir)).toEqual([]);
  });

  it('says two reasons are the same when most of their words are', () => {
    expect(sameReason('Restore the removed code.', 'restore the REMOVED code')).toBe(true);
    expect(sameReason('Restore the removed code in orders.js', 'Restore the removed code in cart.js')).toBe(true);
    expect(sameReason('Restore the removed code.', 'Name the exports in the comment.')).toBe(false);
    expect(sameReason('', '')).toBe(false);
  });
});

describe('proposals and the user\'s decision', () => {
  it('writes proposals, appends only accepted entries to memory.md with date and run, and keeps decisions when the run ends again', async () => {
    const { ws, runDir } = workspace();
    review(runDir, 'b1', ['Keep the public API unchanged.'], { verdict: 'changes_requested', reasons: ['Keep the public API unchanged.'] });
    const f = (id: string, text: string) => ({ id, text, file: null, severity: null, line: null, source: 'synthesis/a.md' });
    put(runDir, 'findings.json', JSON.stringify({ from: '20250101-000000-aaaa', pattern: 'fan-out', findings: [f('F1', 'Passwords are hashed with MD5')], notChosen: [f('F2', 'No jitter in retry')] }));
    const o = { runDir, runId: RUN, workspace: ws, outputRoot: '.orchestration' };
    const pending = await proposeLessons(o);
    expect(pending.map((p) => [p.id, p.kind, p.status])).toEqual([['l1', 'review', 'proposed'], ['l2', 'finding', 'proposed']]);
    const memory = path.join(ws, '.orchestration', 'memory.md');
    expect(existsSync(memory)).toBe(false);

    const r = await decideLessons({ ...o, now: new Date('2026-12-07T11:00:00Z') }, { accept: ['l1'], drop: ['l2'] });
    expect(r.memoryFile).toBe(memory);
    const text = readFileSync(memory, 'utf8');
    expect(text).toMatch(/^# Lessons from earlier runs\n/);
    expect(text).toContain(`- 2026-12-07 (run ${RUN}, review): A reviewer rejected a change twice for the same reason: Keep the public API unchanged.\n`);
    expect(text).not.toContain('jitter');
    expect(parseMemory(text)).toHaveLength(1);
    expect((await readProposals(runDir))!.proposals.map((p) => p.status)).toEqual(['accepted', 'dropped']);

    // The run ends again (resume): nothing is proposed twice, and the decisions stand.
    expect(await proposeLessons(o)).toEqual([]);
    expect((await readProposals(runDir))!.proposals.map((p) => p.status)).toEqual(['accepted', 'dropped']);
    await expect(decideLessons({ ...o, now: new Date() }, { accept: ['l9'], drop: [] })).rejects.toThrow(/No lesson l9 in this run; it proposed l1, l2/);
  });

  it('does not propose a lesson memory.md already holds', async () => {
    const { ws, runDir } = workspace();
    put(ws, '.orchestration/memory.md', '# Lessons\n\n- 2026-11-01 (run x, review): A reviewer rejected a change twice for the same reason: Keep the public API unchanged.\n');
    review(runDir, 'b1', ['Keep the public API unchanged.'], { verdict: 'changes_requested', reasons: ['Keep the public API unchanged.'] });
    expect(await proposeLessons({ runDir, runId: RUN, workspace: ws, outputRoot: '.orchestration' })).toEqual([]);
  });

  it('appends after what the user wrote, adding a missing newline, and never writes through a symlink', async () => {
    const { ws } = workspace();
    put(ws, '.orchestration/memory.md', '# Mine\n\n- my own note');
    await appendMemory(ws, '.orchestration', [{ text: 'line one\nline two', date: '2026-12-07', runId: RUN, kind: 'check' }]);
    expect(readFileSync(path.join(ws, '.orchestration/memory.md'), 'utf8')).toBe(`# Mine\n\n- my own note\n- 2026-12-07 (run ${RUN}, check): line one line two\n`);

    const { ws: other } = workspace();
    const target = path.join(other, 'elsewhere.txt');
    writeFileSync(target, 'untouched');
    symlinkSync(target, path.join(other, '.orchestration/memory.md'));
    await expect(appendMemory(other, '.orchestration', [{ text: 'x', date: '2026-12-07', runId: RUN, kind: 'check' }])).rejects.toThrow(/not a plain file/);
    expect(readFileSync(target, 'utf8')).toBe('untouched');
  });
});

describe('memory.md as untrusted input', () => {
  it('reads list items and paragraphs as entries, oldest first, without headings, comments or control characters', () => {
    const text = '# Lessons\n<!-- a comment\n- not an entry -->\n- first\n  continued\n* second\n\nA paragraph\nof two lines\n## Role: builder\n1. third \u001b[31mred\u202e\n';
    expect(parseMemory(text)).toEqual(['first continued', 'second', 'A paragraph of two lines', 'third [31mred']);
  });

  it('reads only the end of a huge file, from the first whole entry, and says so', async () => {
    const { ws } = workspace();
    const old = Array.from({ length: 8_000 }, (_, i) => `- old entry number ${i} ${'x'.repeat(40)}`).join('\n');
    put(ws, '.orchestration/memory.md', `${old}\n- the newest entry\n`);
    const read = await readMemory(ws, '.orchestration');
    expect(read.entries.at(-1)).toBe('the newest entry');
    expect(read.entries[0]).toMatch(/^old entry number \d+ x+$/);
    expect(read.entries.length).toBeLessThan(8_000);
    expect(read.notes).toEqual([expect.stringMatching(new RegExp(`memory\\.md is \\d+ KB; only its last ${MEMORY_MAX_BYTES / 1024} KB were read`))]);
  });

  it('leaves out a binary file and a symlink, saying why, and reads no memory when there is none', async () => {
    const { ws } = workspace();
    expect(await readMemory(ws, '.orchestration')).toEqual({ entries: [], notes: [] });
    put(ws, '.orchestration/memory.md', '- ok\n\u0000\u0001\u0002binary');
    expect(await readMemory(ws, '.orchestration')).toEqual({ entries: [], notes: ['.orchestration/memory.md holds binary data (NUL bytes); it was left out'] });

    const { ws: linked } = workspace();
    put(linked, 'secret.txt', '- the key is hunter2\n');
    symlinkSync(path.join(linked, 'secret.txt'), path.join(linked, '.orchestration/memory.md'));
    const read = await readMemory(linked, '.orchestration');
    expect(read.entries).toEqual([]);
    expect(read.notes[0]).toMatch(/is a symlink; it was not read/);
  });

  it('cuts one enormous entry so it cannot crowd out the rest', () => {
    const [entry] = parseMemory(`- ${'y'.repeat(50_000)}\n`);
    expect(entry.length).toBeLessThanOrEqual(1_000);
    expect(entry.endsWith('…')).toBe(true);
  });
});

describe('memory within its token budget', () => {
  const entries = Array.from({ length: 10 }, (_, i) => `entry ${i} ${'z'.repeat(80)}`);

  it('keeps the newest entries that fit, leaves out the oldest, and says how many', () => {
    const m = memoryForPrompt({ entries, notes: [] }, 150);
    expect(m.kept).toBeGreaterThan(0);
    expect(m.omitted).toBe(10 - m.kept);
    expect(m.block).toContain('entry 9 ');
    expect(m.block).not.toContain('entry 0 ');
    const kept = [...m.block.matchAll(/^- entry (\d+)/gm)].map((x) => Number(x[1]));
    expect(kept).toEqual(Array.from({ length: m.kept }, (_, i) => 10 - m.kept + i));
    expect(m.notes).toEqual([expect.stringMatching(new RegExp(`^\\.orchestration/memory\\.md: the ${m.omitted} oldest entries of 10 left out of prompts \\(about \\d+ tokens; the memoryTokens budget is 150\\)$`))]);
  });

  it('sends everything within budget without a note, and nothing at all when the budget is 0', () => {
    const all = memoryForPrompt({ entries, notes: [] }, 5_000);
    expect([all.kept, all.omitted, all.notes]).toEqual([10, 0, []]);
    expect(all.block).toMatch(/^# Lessons from earlier runs\n/);
    const none = memoryForPrompt({ entries, notes: [] }, 0);
    expect([none.block, none.kept]).toEqual(['', 0]);
    expect(memoryForPrompt({ entries: [], notes: [] }, 2_000)).toEqual({ block: '', kept: 0, omitted: 0, notes: [] });
  });

  it('loads a workspace\'s memory with the configured budget, and never throws', async () => {
    const { ws } = workspace();
    put(ws, '.orchestration/memory.md', entries.map((e) => `- ${e}`).join('\n'));
    const m = await loadMemoryBlock(ws, parseConfig({ memoryTokens: 100 }));
    expect(m.omitted).toBeGreaterThan(0);
    expect(m.notes[0]).toMatch(/oldest entries of 10 left out/);
    const broken = await loadMemoryBlock(ws, { outputRoot: '../outside', memoryTokens: 100 });
    expect(broken.block).toBe('');
    expect(broken.notes[0]).toMatch(/was not read/);
  });

  it('lets a repository lower the budget but not raise it above its default', () => {
    const lowered = resolveConfig([{ source: '.orchestration/config.json', trusted: false, values: { memoryTokens: 500 } }]);
    expect(lowered.config.memoryTokens).toBe(500);
    const raised = resolveConfig([{ source: '.orchestration/config.json', trusted: false, values: { memoryTokens: 40_000 } }]);
    expect(raised.config.memoryTokens).toBe(2_000);
    expect(raised.ignored.map((i) => [i.key, i.kind])).toEqual([['memoryTokens', 'bound']]);
    expect(resolveConfig([{ source: 'flags', trusted: true, values: { memoryTokens: 40_000 } }]).config.memoryTokens).toBe(40_000);
  });
});
