import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { executeTool, type ToolContext } from '../../src/engine/tools/tools';
import { scopeExistsSync, workspaceOverview } from '../../src/engine/plan/workspace';
import { putFile } from './workspaceFiles';

let ws: string;
let ctx: ToolContext;

const put = (rel: string, content: string): Promise<void> => putFile(ws, rel, content);

async function text(name: string, input: unknown, c: ToolContext = ctx): Promise<string> {
  const r = await executeTool(name, input, c);
  return r.content;
}

/** The workspace-relative paths a recursive list_files shows. */
async function listed(c: ToolContext = ctx): Promise<string[]> {
  return (await text('list_files', { glob: '**' }, c)).split('\n').map((l) => l.split('  ')[0]);
}

beforeEach(async () => {
  ws = await fs.mkdtemp(path.join(os.tmpdir(), 'sao-ignore-'));
  ctx = { workspace: ws, outputRoot: '.orchestration', ownOutputFile: path.join(ws, '.orchestration', 'r', 'a1.md') };
  await put('.gitignore', '*.log\n!keep.log\n/build/\n');
  await put('.git/info/exclude', 'scratch/\n');
  await put('app.log', 'needle in a log\n');
  await put('keep.log', 'needle kept\n');
  await put('build/out.js', 'needle built\n');
  await put('scratch/notes.md', 'needle scratch\n');
  await put('src/main.ts', 'needle main\n');
  // Rules relative to their own folder: "gen/" here is src/pkg/gen, "/local.ts" only src/pkg/local.ts.
  await put('src/pkg/.gitignore', 'gen/\n/local.ts\n!debug.log\n');
  await put('src/pkg/gen/types.ts', 'needle generated\n');
  await put('src/pkg/local.ts', 'needle local\n');
  await put('src/pkg/sub/local.ts', 'needle nested local\n');
  await put('src/pkg/debug.log', 'needle debug\n');
  await put('src/pkg/other.log', 'needle other\n');
  await put('src/build/x.ts', 'needle src build\n');
  await put('.env', 'needle=secret\n');
});

afterEach(async () => {
  await fs.rm(ws, { recursive: true, force: true });
});

describe('ignore rules', () => {
  it('hides what .gitignore files at every level and .git/info/exclude hide, from list_files and search', async () => {
    const shown = await listed();
    expect(shown).toEqual(expect.arrayContaining([
      '.gitignore', 'keep.log', 'src/', 'src/main.ts', 'src/build/', 'src/build/x.ts', 'src/pkg/.gitignore',
      'src/pkg/debug.log', 'src/pkg/sub/local.ts',
    ]));
    for (const hidden of ['app.log', 'build/', 'build/out.js', 'scratch/', 'scratch/notes.md', 'src/pkg/gen/', 'src/pkg/gen/types.ts', 'src/pkg/local.ts', 'src/pkg/other.log', '.env']) {
      expect(shown).not.toContain(hidden);
    }
    const found = (await text('search', { pattern: 'needle' })).split('\n').map((l) => l.split(':')[0]).sort();
    expect(found).toEqual(['keep.log', 'src/build/x.ts', 'src/main.ts', 'src/pkg/debug.log', 'src/pkg/sub/local.ts']);
  });

  it('refuses to read an ignored file, naming the rule and the setting that lets it in', async () => {
    expect(await text('read_file', { path: 'src/pkg/gen/types.ts' }))
      .toBe('read_file: refused: src/pkg/gen/types.ts is inside src/pkg/gen/, which is ignored by src/pkg/.gitignore ("gen/") (the includeIgnored setting lets agents read ignored files)');
    expect(await text('read_file', { path: 'scratch/notes.md' })).toMatch(/is inside scratch\/, which is ignored by \.git\/info\/exclude/);
    expect(await text('read_file', { path: 'app.log' })).toMatch(/^read_file: refused: app\.log is ignored by \.gitignore \("\*\.log"\)/);
    expect(await text('list_files', { path: 'build' })).toMatch(/^list_files: refused: build is ignored by \.gitignore/);
    expect(await text('read_file', { path: 'src/pkg/debug.log' })).toContain('needle debug');
  });

  it('shows ignored files with includeIgnored, but never secrets', async () => {
    const all: ToolContext = { ...ctx, includeIgnored: true };
    const shown = await listed(all);
    expect(shown).toEqual(expect.arrayContaining(['app.log', 'build/out.js', 'scratch/notes.md', 'src/pkg/gen/types.ts', 'src/pkg/local.ts']));
    expect(shown).not.toContain('.env');
    expect(await text('read_file', { path: 'src/pkg/gen/types.ts' }, all)).toContain('needle generated');
    expect(await text('read_file', { path: '.env' }, all)).toMatch(/refused: \.env looks like a secret file/);
    expect(await text('search', { pattern: 'needle=secret' }, all)).toMatch(/^No matches/);
  });

  it('hides matches of the exclude globs (files.exclude, search.exclude) even with includeIgnored', async () => {
    const c: ToolContext = { ...ctx, includeIgnored: true, exclude: ['**/sub', 'src/*.ts'] };
    const shown = await listed(c);
    expect(shown).not.toContain('src/pkg/sub/local.ts');
    expect(shown).not.toContain('src/main.ts');
    expect(shown).toContain('src/build/x.ts');
    expect(await text('read_file', { path: 'src/pkg/sub/local.ts' }, c)).toMatch(/is inside src\/pkg\/sub\/, which is excluded by the exclude setting \("\*\*\/sub"\)$/);
  });

  it('applies the rules of the folders above when a walk starts below the root', async () => {
    // other.log is hidden by the root's "*.log", debug.log let back in by src/pkg's "!debug.log".
    expect(await text('list_files', { path: 'src/pkg' })).toBe(['src/pkg/.gitignore  26 B', 'src/pkg/debug.log  13 B', 'src/pkg/sub/'].join('\n'));
  });

  it('leaves ignored files out of the planner\'s overview and its scopes', async () => {
    const overview = await workspaceOverview(ws, { outputRoot: '.orchestration' });
    expect(overview).toContain('main.ts');
    expect(overview).not.toMatch(/gen\/|app\.log|scratch|out\.js/);
    const exists = scopeExistsSync(ws, '.orchestration');
    expect(exists('src/pkg/gen')).toBe(false);
    expect(exists('src/pkg/gen/types.ts')).toBe(false);
    expect(exists('src/pkg/sub')).toBe(true);
    expect(scopeExistsSync(ws, '.orchestration', { includeIgnored: true })('src/pkg/gen')).toBe(true);
    const all = await workspaceOverview(ws, { outputRoot: '.orchestration', includeIgnored: true });
    expect(all).toContain('gen/');
  });
});

describe('focus', () => {
  const focused = (): ToolContext => ({ ...ctx, focus: ['src/pkg'] });

  it('refuses reads and lists outside the focus, naming it', async () => {
    expect(await text('read_file', { path: 'src/main.ts' }, focused()))
      .toBe("read_file: refused: src/main.ts is outside this agent's focus (src/pkg); stay inside it");
    expect(await text('list_files', { path: 'src/build' }, focused())).toMatch(/outside this agent's focus \(src\/pkg\)/);
    expect(await text('read_file', { path: 'src/pkg/sub/local.ts' }, focused())).toContain('needle nested local');
  });

  it('walks from above the focus only down to it and inside it', async () => {
    expect(await text('list_files', {}, focused())).toBe('src/');
    expect(await text('list_files', { path: 'src' }, focused())).toBe('src/pkg/');
    const found = (await text('search', { pattern: 'needle' }, focused())).split('\n').map((l) => l.split(':')[0]).sort();
    expect(found).toEqual(['src/pkg/debug.log', 'src/pkg/sub/local.ts']);
  });

  it('does not confine a file the agent is given to read, nor its own output', async () => {
    await put('.orchestration/r/b1.md', 'worker b1\n');
    const c: ToolContext = { ...focused(), extraReadable: [path.join(ws, '.orchestration', 'r', 'b1.md')] };
    expect(await text('read_file', { path: '.orchestration/r/b1.md' }, c)).toContain('worker b1');
    expect(await text('write_output', { content: 'report' }, c)).toMatch(/^Wrote 6 bytes/);
  });

  it('treats "." as the whole workspace and a sibling named like the focus as outside', async () => {
    expect(await text('read_file', { path: 'src/main.ts' }, { ...ctx, focus: ['.'] })).toContain('needle main');
    await put('src/pkg2/x.ts', 'needle pkg2\n');
    expect(await text('read_file', { path: 'src/pkg2/x.ts' }, focused())).toMatch(/outside this agent's focus/);
  });
});

describe('search over larger files', () => {
  it('finds a match past the first 64 KB, on the right line, without repeating the start', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    lines[4321] = 'the needle is here';
    lines[0] = 'first needle';
    await put('big/long.txt', `${lines.join('\n')}\n`);
    const out = await text('search', { pattern: 'needle', glob: 'big/*.txt' });
    expect(out).toBe('big/long.txt:1: first needle\nbig/long.txt:4322: the needle is here');
  });
});
