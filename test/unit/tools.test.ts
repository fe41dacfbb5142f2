import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  executeTool, isSecretPath, PathRefusedError, resolveInsideSync, toolDefinitions, WORKER_TOOL_NAMES,
  type ToolContext,
} from '../../src/engine/tools/tools';
import { tempPathFor } from '../../src/engine/files';

let ws: string;
let outside: string;
let ctx: ToolContext;

async function put(rel: string, content: string | Buffer, root = ws): Promise<string> {
  const abs = path.join(root, rel);
  await fs.mkdir(path.dirname(abs), { recursive: true });
  await fs.writeFile(abs, content);
  return abs;
}

async function run(name: string, input: unknown, c: ToolContext = ctx) {
  return executeTool(name, input, c);
}

beforeEach(async () => {
  ws = await fs.mkdtemp(path.join(os.tmpdir(), 'sao-tools-'));
  outside = await fs.mkdtemp(path.join(os.tmpdir(), 'sao-outside-'));
  ctx = {
    workspace: ws,
    outputRoot: '.orchestration',
    ownOutputFile: path.join(ws, '.orchestration', 'run1', 'workers', 'a1.md'),
  };
  await put('src/cli.ts', 'export const cli = 1;\n');
  await put('src/engine/agent.ts', 'export function agent() {\n  return "Hello World";\n}\n');
  await put('src/engine/util.js', 'module.exports = {};\n');
  await put('README.md', '# Title\nhello world\n');
  await put('.env', 'API_KEY=sk-secret\n');
  await put('.git/config', '[core]\n');
  await put('node_modules/x/index.js', 'hello world\n');
  await put('.orchestration/run1/workers/b1.md', 'worker b1 hello world\n');
  await put('.orchestration/run1/workers/b2.md', 'worker b2\n');
  await put('secret.txt', 'outside secret\n', outside);
});

afterEach(async () => {
  await fs.rm(ws, { recursive: true, force: true });
  await fs.rm(outside, { recursive: true, force: true });
});

describe('path guard', () => {
  it('refuses a .. escape', async () => {
    expect(() => resolveInsideSync(ctx, '../x')).toThrow(PathRefusedError);
    const r = await run('read_file', { path: `../${path.basename(outside)}/secret.txt` });
    expect(r.isError).toBe(true);
    expect(r.content).toMatch(/refused: .*outside the workspace/);
    expect(r.content).not.toContain('outside secret');
  });

  it('refuses an absolute path outside the workspace and allows one inside', async () => {
    const r = await run('read_file', { path: path.join(outside, 'secret.txt') });
    expect(r.isError).toBe(true);
    expect(r.content).toContain('outside the workspace');
    const ok = await run('read_file', { path: path.join(ws, 'src', 'cli.ts') });
    expect(ok.isError).toBe(false);
    expect(ok.content).toContain('export const cli');
  });

  it('refuses symlinks that leave the workspace and allows those that stay inside', async () => {
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(ws, 'leak.txt'));
    await fs.symlink(outside, path.join(ws, 'leakdir'));
    await fs.symlink(path.join(ws, 'src', 'cli.ts'), path.join(ws, 'alias.ts'));

    const file = await run('read_file', { path: 'leak.txt' });
    expect(file.isError).toBe(true);
    expect(file.content).toContain('symlink that leads outside the workspace');
    const viaDir = await run('read_file', { path: 'leakdir/secret.txt' });
    expect(viaDir.isError).toBe(true);
    expect(viaDir.content).not.toContain('outside secret');
    // A file that does not exist yet behind the link is judged by the link's real path.
    expect(() => resolveInsideSync(ctx, 'leakdir/new.txt')).toThrow(/outside the workspace/);

    const inside = await run('read_file', { path: 'alias.ts' });
    expect(inside.isError).toBe(false);
    expect(inside.content).toContain('export const cli');
  });

  it('refuses a dangling symlink, whose target could appear outside later', async () => {
    await fs.symlink(path.join(outside, 'not-yet.txt'), path.join(ws, 'dangling.txt'));
    expect(() => resolveInsideSync(ctx, 'dangling.txt')).toThrow('refused: dangling.txt is a broken symlink');
  });

  it('refuses a symlink inside the workspace that points at a secret', async () => {
    await fs.symlink(path.join(ws, '.env'), path.join(ws, 'notes.txt'));
    const r = await run('read_file', { path: 'notes.txt' });
    expect(r.isError).toBe(true);
    expect(r.content).toContain('resolves to .env');
  });

  it('refuses secret-looking files with a reason', async () => {
    await put('id_rsa', 'KEY');
    await put('certs/x.pem', 'PEM');
    const env = await run('read_file', { path: '.env' });
    expect(env).toEqual({ isError: true, content: 'read_file: refused: .env looks like a secret file: matches ".env" (environment file) from the project\'s list' });
    for (const p of ['id_rsa', 'certs/x.pem']) {
      const r = await run('read_file', { path: p });
      expect(r.isError).toBe(true);
      expect(r.content).toContain(`refused: ${p} looks like a secret file`);
    }
  });

  it('recognises secret paths and leaves ordinary ones alone', () => {
    for (const p of ['.env', 'app/.env.local', 'x.pem', 'a/b.key', 'c.p12', 'd.pfx', 'id_rsa.pub', 'id_ed25519', 'id_ecdsa',
      'release.keystore', '.npmrc', '.netrc', '.pgpass', 'credentials.json', 'credentials-prod.json', 'secrets.yaml',
      'vault.kdbx', '.aws/config', 'home/.ssh/known_hosts', '.gnupg/pubring.kbx', 'CONFIG/.ENV']) {
      expect(isSecretPath(p), p).toBe(true);
    }
    for (const p of ['src/environment.ts', 'keys.md', 'README.md', 'src/secret-santa.ts', 'credentials.md', 'docs/env.md']) {
      expect(isSecretPath(p), p).toBe(false);
    }
  });

  it('refuses .git/ and node_modules/', async () => {
    const git = await run('read_file', { path: '.git/config' });
    expect(git.isError).toBe(true);
    expect(git.content).toContain('refused: .git/config is inside .git/');
    const nm = await run('read_file', { path: 'node_modules/x/index.js' });
    expect(nm.isError).toBe(true);
    expect(nm.content).toContain('is inside node_modules/');
  });

  it('refuses the output root except the exact extraReadable files', async () => {
    const b1 = path.join(ws, '.orchestration/run1/workers/b1.md');
    const refused = await run('read_file', { path: '.orchestration/run1/workers/b1.md' });
    expect(refused.isError).toBe(true);
    expect(refused.content).toContain('inside the output root .orchestration/');

    const coord: ToolContext = { ...ctx, extraReadable: [b1] };
    const allowed = await run('read_file', { path: '.orchestration/run1/workers/b1.md' }, coord);
    expect(allowed.isError).toBe(false);
    expect(allowed.content).toContain('worker b1');
    const sibling = await run('read_file', { path: '.orchestration/run1/workers/b2.md' }, coord);
    expect(sibling.isError).toBe(true);
  });
});

describe('read_file', () => {
  it('numbers lines', async () => {
    const r = await run('read_file', { path: 'README.md' });
    expect(r).toEqual({ isError: false, content: '   1| # Title\n   2| hello world' });
  });

  it('reads an inclusive 1-based line range', async () => {
    await put('lines.txt', Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join('\n'));
    const r = await run('read_file', { path: 'lines.txt', start_line: 10, end_line: 12 });
    expect(r.isError).toBe(false);
    expect(r.content.split('\n').slice(0, 3)).toEqual(['  10| line 10', '  11| line 11', '  12| line 12']);
    expect(r.content).toContain('[lines 10-12 of 50]');
    expect(r.content).not.toContain('line 13');
  });

  it('says when start_line is past the end and when end_line precedes start_line', async () => {
    const past = await run('read_file', { path: 'README.md', start_line: 9 });
    expect(past.isError).toBe(true);
    expect(past.content).toContain('README.md has 2 lines');
    const backwards = await run('read_file', { path: 'README.md', start_line: 2, end_line: 1 });
    expect(backwards.isError).toBe(true);
    expect(backwards.content).toContain('end_line must be at least start_line');
  });

  it('refuses binary files', async () => {
    await put('logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]));
    const r = await run('read_file', { path: 'logo.png' });
    expect(r.isError).toBe(true);
    expect(r.content).toContain('looks binary');
  });

  it('truncates a large file with a note saying how to read more', async () => {
    await put('big.txt', Array.from({ length: 1000 }, (_, i) => `row ${i + 1} ${'x'.repeat(40)}`).join('\n'));
    const r = await run('read_file', { path: 'big.txt' }, { ...ctx, maxReadBytes: 2_000 });
    expect(r.isError).toBe(false);
    expect(r.content.length).toBeLessThan(3_000);
    expect(r.content).toMatch(/\[truncated: file has 1000 lines, shown 1-\d+; read more with start_line\/end_line\]/);
    expect(r.content).not.toContain('row 1000 ');
    const later = await run('read_file', { path: 'big.txt', start_line: 999, end_line: 1000 }, { ...ctx, maxReadBytes: 2_000 });
    expect(later.content).toContain('\n1000| row 1000 ');
  });

  it('cuts a single line longer than the limit', async () => {
    await put('min.js', 'a'.repeat(10_000));
    const r = await run('read_file', { path: 'min.js' }, { ...ctx, maxReadBytes: 500 });
    expect(r.isError).toBe(false);
    expect(r.content).toContain('longer than the read limit');
    expect(r.content.length).toBeLessThan(1_000);
  });

  it('says a missing file or a folder is not readable', async () => {
    expect((await run('read_file', { path: 'nope.ts' })).content).toBe('read_file: nope.ts does not exist');
    expect((await run('read_file', { path: 'src' })).content).toContain('is a folder; use list_files');
  });
});

describe('list_files', () => {
  it('lists direct entries with folders suffixed and sizes, skipping refused ones', async () => {
    const r = await run('list_files', {});
    expect(r.isError).toBe(false);
    expect(r.content.split('\n')).toEqual(['README.md  20 B', 'src/']);
  });

  it('lists a sub-folder', async () => {
    const r = await run('list_files', { path: 'src' });
    expect(r.content.split('\n')).toEqual(['src/cli.ts  22 B', 'src/engine/']);
  });

  it('lists recursively with a glob', async () => {
    await put('test/a.test.ts', '');
    const all = await run('list_files', { glob: '**/*.ts' });
    expect(all.content.split('\n').map((l) => l.split('  ')[0])).toEqual(['src/cli.ts', 'src/engine/agent.ts', 'test/a.test.ts']);
    const braces = await run('list_files', { path: 'src', glob: 'engine/*.{js,ts}' });
    expect(braces.content.split('\n').map((l) => l.split('  ')[0])).toEqual(['src/engine/agent.ts', 'src/engine/util.js']);
    const names = await run('list_files', { glob: 'agent.?s' });
    expect(names.content.split('  ')[0]).toBe('src/engine/agent.ts');
    const none = await run('list_files', { glob: '**/*.rs' });
    expect(none.content).toBe('No entries under . match "**/*.rs".');
  });

  it('caps the listing with a note', async () => {
    for (let i = 0; i < 12; i++) await put(`many/f${String(i).padStart(2, '0')}.txt`, 'x');
    const r = await run('list_files', { path: 'many' }, { ...ctx, maxListEntries: 5 });
    const lines = r.content.split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[5]).toBe('[7 more entries omitted; narrow with path or glob]');
  });

  it('refuses listing a refused folder', async () => {
    const r = await run('list_files', { path: '.orchestration' });
    expect(r.isError).toBe(true);
    expect(r.content).toContain('inside the output root');
  });
});

describe('search', () => {
  it('finds a literal, case-sensitive substring, skipping refused files', async () => {
    const r = await run('search', { pattern: 'hello world' });
    expect(r).toEqual({ isError: false, content: 'README.md:2: hello world' });
    const upper = await run('search', { pattern: 'Hello World' });
    expect(upper.content).toBe('src/engine/agent.ts:2: return "Hello World";');
    const literal = await run('search', { pattern: 'agent()' });
    expect(literal.content).toBe('src/engine/agent.ts:1: export function agent() {');
  });

  it('matches a regular expression when asked, restricted by glob', async () => {
    const r = await run('search', { pattern: '^export (const|function) \\w+', regex: true });
    expect(r.content.split('\n')).toEqual(['src/cli.ts:1: export const cli = 1;', 'src/engine/agent.ts:1: export function agent() {']);
    const scoped = await run('search', { pattern: 'export', glob: 'src/engine/*.ts' });
    expect(scoped.content).toBe('src/engine/agent.ts:1: export function agent() {');
  });

  it('reports an invalid regex clearly', async () => {
    const r = await run('search', { pattern: '(unclosed', regex: true });
    expect(r.isError).toBe(true);
    expect(r.content).toMatch(/^search: invalid regex "\(unclosed": /);
  });

  it('skips binary files and trims long lines to 300 characters', async () => {
    await put('bin.dat', Buffer.concat([Buffer.from('needle'), Buffer.from([0, 1, 2])]));
    await put('long.txt', `${'a'.repeat(1000)} needle ${'b'.repeat(1000)}`);
    const r = await run('search', { pattern: 'needle' });
    const lines = r.content.split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^long\.txt:1: …a+ needle b+…$/);
    expect(lines[0].length).toBeLessThan(330);
  });

  it('caps matches with a note', async () => {
    await put('many.txt', Array.from({ length: 30 }, () => 'hit').join('\n'));
    const r = await run('search', { pattern: 'hit' }, { ...ctx, maxSearchMatches: 10 });
    const lines = r.content.split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[10]).toBe('[20 more matches not shown (30 in all); narrow with glob or a more specific pattern]');
  });

  it('skips files over 1 MB and says so', async () => {
    await put('huge.log', `${'z'.repeat(1_100_000)}\nfindme\n`);
    const r = await run('search', { pattern: 'findme' });
    expect(r.content).toContain('No matches for "findme"');
    expect(r.content).toContain('[skipped 1 file over 1 MB');
  });
});

describe('write_output', () => {
  it('replaces only the own output file, creating its folders, and appends when asked', async () => {
    const first = await run('write_output', { content: '# Findings\n' });
    expect(first).toEqual({ isError: false, content: 'Wrote 11 bytes to .orchestration/run1/workers/a1.md.' });
    expect(await fs.readFile(ctx.ownOutputFile, 'utf8')).toBe('# Findings\n');

    const second = await run('write_output', { content: 'more\n', append: true });
    expect(second.content).toBe('Appended 5 bytes to .orchestration/run1/workers/a1.md (now 16 bytes).');
    expect(await fs.readFile(ctx.ownOutputFile, 'utf8')).toBe('# Findings\nmore\n');

    await run('write_output', { content: 'replaced' });
    expect(await fs.readFile(ctx.ownOutputFile, 'utf8')).toBe('replaced');
    expect(await fs.readdir(path.dirname(ctx.ownOutputFile))).toEqual(['a1.md', 'b1.md', 'b2.md']);
  });

  it('creates a missing folder, for a replace and for an append, and leaves no temp file', async () => {
    const fresh = { ...ctx, ownOutputFile: path.join(ws, '.orchestration', 'run2', 'synthesis', 'a.md') };
    expect(await run('write_output', { content: 'first' }, fresh)).toEqual({ isError: false, content: 'Wrote 5 bytes to .orchestration/run2/synthesis/a.md.' });
    expect(await fs.readdir(path.dirname(fresh.ownOutputFile))).toEqual(['a.md']);

    const appended = { ...ctx, ownOutputFile: path.join(ws, '.orchestration', 'run3', 'workers', 'a1.md') };
    expect((await run('write_output', { content: 'line\n', append: true }, appended)).content).toBe('Appended 5 bytes to .orchestration/run3/workers/a1.md (now 5 bytes).');
    expect(await fs.readFile(appended.ownOutputFile, 'utf8')).toBe('line\n');
  });

  it('refuses an output file that is a symlink, for a replace and for an append', async () => {
    const target = path.join(outside, 'secret.txt');
    await fs.symlink(target, ctx.ownOutputFile);
    for (const input of [{ content: 'pwned' }, { content: 'pwned', append: true }]) {
      const r = await run('write_output', input);
      expect(r).toEqual({ isError: true, content: 'write_output: refused: .orchestration/run1/workers/a1.md is a symlink' });
    }
    expect(await fs.readFile(target, 'utf8')).toBe('outside secret\n');
  });

  it('never writes through a symlink planted at the next temp names: it takes a free name', async () => {
    const target = path.join(outside, 'secret.txt');
    const seen = tempPathFor(ctx.ownOutputFile); // learns the counter: the next names follow it
    const n = Number(/\.(\d+)\.tmp$/.exec(seen)![1]);
    const planted = [1, 2, 3].map((k) => seen.replace(/\.\d+\.tmp$/, `.${n + k}.tmp`));
    for (const p of planted) await fs.symlink(target, p);

    expect((await run('write_output', { content: 'report' })).isError).toBe(false);
    expect(await fs.readFile(ctx.ownOutputFile, 'utf8')).toBe('report');
    expect(await fs.readFile(target, 'utf8')).toBe('outside secret\n');
    for (const p of planted) expect((await fs.lstat(p)).isSymbolicLink()).toBe(true); // not ours: left alone

    const more = tempPathFor(ctx.ownOutputFile);
    const m = Number(/\.(\d+)\.tmp$/.exec(more)![1]);
    for (let k = 1; k <= 10; k++) await fs.symlink(target, more.replace(/\.\d+\.tmp$/, `.${m + k}.tmp`));
    const r = await run('write_output', { content: 'again' });
    expect(r.isError).toBe(true);
    expect(r.content).toContain('EEXIST');
    expect(await fs.readFile(ctx.ownOutputFile, 'utf8')).toBe('report');
    expect(await fs.readFile(target, 'utf8')).toBe('outside secret\n');
  });

  it('has no path parameter: a path is rejected and nothing else is written', async () => {
    const r = await run('write_output', { path: 'src/cli.ts', content: 'pwned' });
    expect(r.isError).toBe(true);
    expect(r.content).toContain('unexpected "path"');
    expect(await fs.readFile(path.join(ws, 'src/cli.ts'), 'utf8')).toBe('export const cli = 1;\n');
    await expect(fs.access(ctx.ownOutputFile)).rejects.toThrow();
  });

  it('is refused for a read-only agent', async () => {
    const r = await run('write_output', { content: 'x' }, { ...ctx, readOnly: true });
    expect(r.isError).toBe(true);
    await expect(fs.access(ctx.ownOutputFile)).rejects.toThrow();
  });
});

describe('executeTool input handling', () => {
  it('names the expected field when input fails the schema', async () => {
    const r = await run('read_file', { start_line: 3 });
    expect(r.isError).toBe(true);
    expect(r.content).toBe(
      'read_file: expected {path: string, start_line?: integer, end_line?: integer}, got {"start_line":3} (path: expected string, received undefined)',
    );
    const wrongType = await run('search', { pattern: 'x', regex: 'yes' });
    expect(wrongType.content).toMatch(/^search: expected \{pattern: string, glob\?: string, regex\?: boolean\}, got .*regex: expected boolean/);
  });

  it('returns errors instead of throwing for unknown tools and non-object input', async () => {
    const unknown = await run('delete_everything', {});
    expect(unknown).toEqual({ isError: true, content: 'delete_everything: expected one of list_files, read_file, search, write_output, got unknown tool "delete_everything"' });
    const nul = await run('list_files', null);
    expect(nul.isError).toBe(true);
    expect(nul.content).toContain('got null');
  });
});

describe('toolDefinitions', () => {
  it('is deterministic and unaffected by callers mutating the result', () => {
    const a = toolDefinitions();
    a[0].cache_control = { type: 'ephemeral' };
    const b = toolDefinitions();
    const c = toolDefinitions();
    expect(JSON.stringify(b)).toBe(JSON.stringify(c));
    expect(b[0].cache_control).toBeUndefined();
    expect(b.map((d) => d.name)).toEqual([...WORKER_TOOL_NAMES]);
    expect(b.find((d) => d.name === 'read_file')!.input_schema).toMatchObject({
      type: 'object', required: ['path'], additionalProperties: false,
      properties: { start_line: { type: 'integer', minimum: 1 } },
    });
  });

  it('omits write_output when read-only', () => {
    expect(toolDefinitions({ readOnly: true }).map((d) => d.name)).toEqual(['list_files', 'read_file', 'search']);
  });
});
