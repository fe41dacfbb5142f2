import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileGlob, GlobError, globTester } from '../../src/engine/tools/glob';
import { MAX_REGEX_CHARS, regexMatcher } from '../../src/engine/tools/searchPattern';
import { executeTool, type ToolContext } from '../../src/engine/tools/tools';
import { ToolFailure } from '../../src/engine/tools/schema';
import { putFile } from './workspaceFiles';

let ws: string;
let ctx: ToolContext;

const put = (rel: string, content: string): Promise<void> => putFile(ws, rel, content);

async function search(input: Record<string, unknown>) {
  return executeTool('search', input, ctx);
}

beforeEach(async () => {
  ws = await fs.mkdtemp(path.join(os.tmpdir(), 'sao-search-'));
  ctx = { workspace: ws, outputRoot: '.orchestration', ownOutputFile: path.join(ws, '.orchestration', 'r', 'workers', 'a1.md') };
  await put('src/a.ts', 'export const alpha = 1;\nexport function beta() {}\n// TODO fix\n');
});

afterEach(async () => {
  await fs.rm(ws, { recursive: true, force: true });
});

describe('search with a regular expression', () => {
  // A backtracking engine takes about a minute on one 31-character line of this kind, and each `a`
  // more doubles that: these three lines would take it 10 to 20 s, so a regression fails rather
  // than hangs. The integration test (toolSafety) runs long lines in a process it can kill.
  it('runs a catastrophic pattern in linear time', async () => {
    await put('data/aab.txt', `${Array.from({ length: 3 }, () => `${'a'.repeat(26)}b`).join('\n')}\n`);
    await put('data/match.txt', 'aaaa\n');
    const started = performance.now();
    const r = await search({ pattern: '^(a+)+$', regex: true });
    const elapsed = performance.now() - started;
    expect(r).toEqual({ isError: false, content: 'data/match.txt:1: aaaa' });
    // Generous: linear matching takes milliseconds; a backtracking engine would not finish.
    expect(elapsed).toBeLessThan(10_000);
  });

  it('takes JavaScript syntax: named groups, \\u{…}, (?i)', async () => {
    await put('u.txt', 'smile 😀 here\nCamelCase\n');
    expect((await search({ pattern: '(?<name>alpha) = (\\d)', regex: true })).content).toBe('src/a.ts:1: export const alpha = 1;');
    expect((await search({ pattern: '\\u{1F600}', regex: true })).content).toBe('u.txt:1: smile 😀 here');
    expect((await search({ pattern: '(?i)camelcase', regex: true })).content).toBe('u.txt:2: CamelCase');
  });

  it('says lookaround and backreferences are not supported, and why', async () => {
    for (const p of ['(?=beta)b', '(?!x)beta', '(?<=const )alpha', '(?<!x)alpha']) {
      const r = await search({ pattern: p, regex: true });
      expect(r.isError, p).toBe(true);
      expect(r.content, p).toContain('uses lookahead or lookbehind');
      expect(r.content, p).toContain('RE2, a linear-time engine');
    }
    for (const p of ['(a)\\1', '(?<q>a)\\k<q>']) {
      const r = await search({ pattern: p, regex: true });
      expect(r.content, p).toMatch(/^search: regex ".*" uses a backreference \(\\1, \\k<name>\), which search does not support/);
    }
    // Inside a class, or after an escaped backslash, the same characters are ordinary.
    expect((await search({ pattern: '[(?=]TODO', regex: true })).content).toBe('No matches for "[(?=]TODO".');
    expect((await search({ pattern: '\\\\1|alpha', regex: true })).content).toBe('src/a.ts:1: export const alpha = 1;');
  });

  it('bounds the pattern length and names the bound', async () => {
    const r = await search({ pattern: `x${'a'.repeat(MAX_REGEX_CHARS)}`, regex: true });
    expect(r.content).toBe(`search: regex is ${MAX_REGEX_CHARS + 1} characters; at most ${MAX_REGEX_CHARS} are allowed. Search for a shorter, distinctive part of the text, or set regex to false for a literal search`);
    // A literal search is not a regex and keeps its own fast path.
    expect((await search({ pattern: 'TODO fix' })).content).toBe('src/a.ts:3: // TODO fix');
    expect(() => regexMatcher('a'.repeat(MAX_REGEX_CHARS))).not.toThrow();
  });

  it('reports a syntax error in RE2\'s words', async () => {
    const r = await search({ pattern: '(unclosed', regex: true });
    expect(r.content).toMatch(/^search: invalid regex "\(unclosed": .*missing closing \)/);
    expect(() => regexMatcher('x{1001}')).toThrow(ToolFailure);
  });

  it('shows a match deep in a long line', async () => {
    await put('min.js', `${'x'.repeat(100_000)}function needle_77(){}${'y'.repeat(100_000)}\n`);
    const r = await search({ pattern: 'needle_\\d+\\(', regex: true, glob: 'min.js' });
    expect(r.isError).toBe(false);
    expect(r.content).toMatch(/^min\.js:1: …x+function needle_77\(\)\{\}y+…$/);
    expect(r.content.length).toBeLessThan(330);
  });

  it('keeps the event loop turning while it matches a big file', async () => {
    const line = `${'a'.repeat(99)}b`;
    await put('big.txt', `${Array.from({ length: 9000 }, () => line).join('\n')}\n`);
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 0);
    try {
      await search({ pattern: '^(a|aa)+$', regex: true });
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('globs from a model or a workspace', () => {
  // picomatch's own regex took 5.6 s on one 41-character name for the glob below.
  it('match in linear time in list_files, search and the exclude setting', async () => {
    const name = `${'a'.repeat(60)}c.txt`;
    await put(`deep/${name}`, 'hello\n');
    const glob = '*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b';
    const started = performance.now();
    expect((await executeTool('list_files', { glob }, ctx)).content).toMatch(/^No entries under \. match/);
    expect((await search({ pattern: 'hello', glob })).content).toMatch(/^No matches/);
    const excluded = await executeTool('list_files', { path: 'deep' }, { ...ctx, exclude: [glob] });
    expect(excluded.content).toContain(name);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('keep picomatch\'s answers', () => {
    const cases: Array<[string, string, boolean]> = [
      ['**/*.ts', 'src/a/b.ts', true], ['src/*.{js,ts}', 'src/a.ts', true], ['src/*.{js,ts}', 'src/a/b.ts', false],
      ['*.md', 'docs/a.md', true], ['.github/**', '.github/workflows/ci.yml', true], ['src/[^a]*', 'src/ax', false],
      ['src/[^a]*', 'src/bx', true], ['**/.docker/config.json', 'p/.docker/config.json', true], ['a/*/b', 'a/q/r/b', false],
    ];
    for (const [glob, p, want] of cases) expect(compileGlob(glob).test(p), `${glob} ${p}`).toBe(want);
    expect(globTester('SRC/*.TS', { source: 'glob', nocase: true })('src/a.ts')).toBe(true);
    expect(() => globTester('x'.repeat(1001), { source: 'the exclude glob' })).toThrow(GlobError);
  });
});
