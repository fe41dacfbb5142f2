import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { promises as fs, readFileSync, realpathSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUILDER_TOOL_NAMES, executeTool, MAX_WRITE_BYTES, toolDefinitions, type ToolContext } from '../../src/engine/tools/tools';

let ws: string;
let outside: string;
let ctx: ToolContext;

async function put(rel: string, content: string | Buffer, root = ws): Promise<string> {
  const abs = path.join(root, rel);
  await fs.mkdir(path.dirname(abs), { recursive: true });
  await fs.writeFile(abs, content);
  return abs;
}

const read = (rel: string, root = ws): string => readFileSync(path.join(root, rel), 'utf8');
const run = (name: string, input: unknown, c: ToolContext = ctx) => executeTool(name, input, c);

beforeEach(async () => {
  ws = realpathSync(await fs.mkdtemp(path.join(os.tmpdir(), 'sao-builder-')));
  outside = realpathSync(await fs.mkdtemp(path.join(os.tmpdir(), 'sao-builder-out-')));
  ctx = {
    workspace: ws,
    outputRoot: '.orchestration',
    ownOutputFile: path.join(ws, '.orchestration', 'run1', 'builders', 'b1.md'),
    builder: { owned: ['src/a.ts', 'src/new/made.ts', 'src/gone.ts', 'src/crlf.ts', 'src/twice.ts', 'src/link.ts', 'src/out.ts', 'src/bin.dat', 'lib/x.ts', 'feature/', 'dist/out.js', 'run.sh', '.git/config', '.env'] },
  };
  await put('src/a.ts', 'export const a = 1;\nexport const b = 2;\n');
  await put('src/b.ts', 'not yours\n');
  await put('src/gone.ts', 'bye\n');
  await put('src/twice.ts', 'x = 1;\ny = 2;\nx = 1;\n');
  await put('src/crlf.ts', 'one\r\ntwo\r\nthree\r\n');
  await put('src/bin.dat', Buffer.from([1, 0, 2]));
  await put('.gitignore', 'dist/\n');
  await put('.env', 'KEY=secret-value\n');
  await put('.git', 'gitdir: /somewhere/.git/worktrees/b1\n');
  await put('run.sh', '#!/bin/sh\necho hi\n');
  await fs.chmod(path.join(ws, 'run.sh'), 0o755);
  await put('secret.txt', 'outside secret\n', outside);
});

afterEach(async () => {
  await fs.rm(ws, { recursive: true, force: true });
  await fs.rm(outside, { recursive: true, force: true });
});

describe('builder tool definitions', () => {
  it('gives a builder the read tools and the write tools, and no write_output', () => {
    expect(toolDefinitions({ builder: true }).map((d) => d.name)).toEqual(['list_files', 'read_file', 'search', 'write_file', 'edit_file', 'delete_file']);
    expect([...BUILDER_TOOL_NAMES]).toEqual(['list_files', 'read_file', 'search', 'write_file', 'edit_file', 'delete_file']);
    const edit = toolDefinitions({ builder: true }).find((d) => d.name === 'edit_file')!;
    expect(edit.input_schema).toMatchObject({ required: ['path', 'old_text', 'new_text'] });
    // Workers keep exactly their four tools.
    expect(toolDefinitions().map((d) => d.name)).toEqual(['list_files', 'read_file', 'search', 'write_output']);
  });

  it('offers each agent only its own tools', async () => {
    const worker: ToolContext = { ...ctx, builder: undefined };
    const r = await run('write_file', { path: 'src/a.ts', content: 'x' }, worker);
    expect(r).toEqual({ isError: true, content: 'write_file: expected one of list_files, read_file, search, write_output, got unknown tool "write_file"' });
    expect(read('src/a.ts')).toContain('export const a');
    const w = await run('write_output', { content: 'report' });
    expect(w.isError).toBe(true);
    expect(w.content).toContain('expected one of list_files, read_file, search, write_file, edit_file, delete_file');
  });

  it('reads in the worktree as a worker reads in the workspace', async () => {
    const r = await run('read_file', { path: 'src/a.ts' });
    expect(r.isError).toBe(false);
    expect(r.content).toContain('export const a = 1;');
  });
});

describe('write_file', () => {
  it('replaces an owned file whole, and creates a new one with its folders', async () => {
    const r = await run('write_file', { path: 'src/a.ts', content: 'export const a = 3;\n' });
    expect(r).toEqual({ isError: false, content: 'Wrote src/a.ts (20 bytes; it had 40).' });
    expect(read('src/a.ts')).toBe('export const a = 3;\n');
    const made = await run('write_file', { path: 'src/new/made.ts', content: 'new\n' });
    expect(made).toEqual({ isError: false, content: 'Created src/new/made.ts (4 bytes).' });
    expect(read('src/new/made.ts')).toBe('new\n');
    // Folder ownership: anything below feature/.
    expect((await run('write_file', { path: 'feature/deep/x.ts', content: 'x' })).isError).toBe(false);
    // No temp files left beside them.
    expect((await fs.readdir(path.join(ws, 'src'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps an executable file executable', async () => {
    await run('write_file', { path: 'run.sh', content: '#!/bin/sh\necho bye\n' });
    expect(statSync(path.join(ws, 'run.sh')).mode & 0o777).toBe(0o755);
  });

  it('refuses content over 1 MB, saying the limit', async () => {
    const r = await run('write_file', { path: 'src/a.ts', content: 'x'.repeat(MAX_WRITE_BYTES + 1) });
    expect(r.isError).toBe(true);
    expect(r.content).toContain('content is 1,048,577 bytes; the limit is 1 MB (1,048,576 bytes) per file');
    expect(read('src/a.ts')).toContain('export const a = 1;');
  });

  it('refuses NUL bytes in the path or the content', async () => {
    expect((await run('write_file', { path: 'src/a.ts\0x', content: 'x' })).content).toContain('contains a NUL byte');
    expect((await run('write_file', { path: 'src/a.ts', content: 'a\0b' })).content).toContain('content contains a NUL byte');
    expect(read('src/a.ts')).toContain('export const a = 1;');
  });

  it('refuses to create a file the repository ignores, which could never reach the change', async () => {
    const r = await run('write_file', { path: 'dist/out.js', content: 'x' });
    expect(r.isError).toBe(true);
    expect(r.content).toMatch(/dist\/out\.js is inside dist\/, which is ignored by \.gitignore.*not be part of the change/);
  });
});

describe('edit_file', () => {
  it('replaces the one occurrence of old_text', async () => {
    const r = await run('edit_file', { path: 'src/a.ts', old_text: 'export const b = 2;', new_text: 'export const b = 20;\nexport const c = "$&";' });
    expect(r).toEqual({ isError: false, content: 'Edited src/a.ts at line 2: 1 line replaced by 2.' });
    expect(read('src/a.ts')).toBe('export const a = 1;\nexport const b = 20;\nexport const c = "$&";\n');
  });

  it('says how many times old_text occurs when it is not exactly once, changing nothing', async () => {
    const none = await run('edit_file', { path: 'src/a.ts', old_text: 'export const z', new_text: 'y' });
    expect(none.isError).toBe(true);
    expect(none.content).toContain('old_text occurs 0 times in src/a.ts; it must occur exactly once');
    const two = await run('edit_file', { path: 'src/twice.ts', old_text: 'x = 1;', new_text: 'x = 3;' });
    expect(two.isError).toBe(true);
    expect(two.content).toContain('old_text occurs 2 times in src/twice.ts (at lines 1, 3); it must occur exactly once');
    expect(two.content).toContain('Include more surrounding lines');
    expect(read('src/twice.ts')).toBe('x = 1;\ny = 2;\nx = 1;\n');
    const unique = await run('edit_file', { path: 'src/twice.ts', old_text: 'y = 2;\nx = 1;', new_text: 'y = 2;\nx = 3;' });
    expect(unique.isError).toBe(false);
    expect(read('src/twice.ts')).toBe('x = 1;\ny = 2;\nx = 3;\n');
  });

  it('matches across CRLF line ends and keeps them', async () => {
    const r = await run('edit_file', { path: 'src/crlf.ts', old_text: 'one\ntwo', new_text: 'one\n2' });
    expect(r.isError).toBe(false);
    expect(read('src/crlf.ts')).toBe('one\r\n2\r\nthree\r\n');
  });

  it('refuses a missing or binary file', async () => {
    expect((await run('edit_file', { path: 'src/new/made.ts', old_text: 'a', new_text: 'b' })).content).toContain('does not exist; create it with write_file');
    expect((await run('edit_file', { path: 'src/bin.dat', old_text: 'a', new_text: 'b' })).content).toContain('looks binary');
  });
});

describe('delete_file', () => {
  it('deletes an owned file and says so for a missing one', async () => {
    expect(await run('delete_file', { path: 'src/gone.ts' })).toEqual({ isError: false, content: 'Deleted src/gone.ts.' });
    await expect(fs.access(path.join(ws, 'src/gone.ts'))).rejects.toThrow();
    expect((await run('delete_file', { path: 'src/gone.ts' })).content).toBe('delete_file: src/gone.ts does not exist');
  });
});

describe('what builders may never write', () => {
  async function refused(name: string, input: Record<string, unknown>, expected: RegExp | string): Promise<void> {
    const r = await run(name, input);
    expect(r.isError, JSON.stringify(input)).toBe(true);
    if (typeof expected === 'string') expect(r.content).toContain(expected);
    else expect(r.content).toMatch(expected);
  }

  it('a file it does not own, listing the ones it does', async () => {
    await refused('write_file', { path: 'src/b.ts', content: 'x' }, 'refused: src/b.ts is not one of your files; you may change only: src/a.ts, src/new/made.ts');
    await refused('edit_file', { path: 'src/b.ts', old_text: 'not', new_text: 'x' }, 'is not one of your files');
    await refused('delete_file', { path: 'src/b.ts' }, 'is not one of your files');
    expect(read('src/b.ts')).toBe('not yours\n');
  });

  it('.git, in any spelling, even when listed as owned', async () => {
    await refused('write_file', { path: '.git/config', content: 'x' }, 'refused: .git/config is inside .git/');
    await refused('write_file', { path: '.GIT/config', content: 'x' }, 'is inside .git/');
    await refused('write_file', { path: '.git./hooks/pre-commit', content: 'x' }, 'is inside .git/');
    await refused('delete_file', { path: '.git' }, 'is inside .git/');
    expect(read('.git')).toContain('gitdir:');
  });

  it('outside the worktree: .. and absolute paths', async () => {
    await refused('write_file', { path: '../x', content: 'x' }, 'refused: ../x is outside your worktree');
    await refused('write_file', { path: path.join(outside, 'secret.txt'), content: 'x' }, 'is outside your worktree');
    await refused('delete_file', { path: `../${path.basename(outside)}/secret.txt` }, 'is outside your worktree');
    expect(read('secret.txt', outside)).toBe('outside secret\n');
    // An absolute path inside the worktree is the same file as its relative spelling.
    expect((await run('write_file', { path: path.join(ws, 'src/a.ts'), content: 'abs\n' })).isError).toBe(false);
  });

  it('a symlink, whether it points inside or outside', async () => {
    await fs.symlink(path.join(ws, 'src/b.ts'), path.join(ws, 'src/link.ts'));
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(ws, 'src/out.ts'));
    await refused('write_file', { path: 'src/link.ts', content: 'x' }, 'refused: src/link.ts is a symlink');
    await refused('edit_file', { path: 'src/link.ts', old_text: 'not', new_text: 'x' }, 'is a symlink');
    await refused('write_file', { path: 'src/out.ts', content: 'x' }, 'is a symlink');
    await refused('delete_file', { path: 'src/out.ts' }, 'is a symlink');
    expect(read('src/b.ts')).toBe('not yours\n');
    expect(read('secret.txt', outside)).toBe('outside secret\n');
  });

  it('a path through a symlinked folder', async () => {
    await fs.symlink(outside, path.join(ws, 'lib'));
    await refused('write_file', { path: 'lib/x.ts', content: 'x' }, 'refused: lib/x.ts goes through lib, a symlink');
    await expect(fs.access(path.join(outside, 'x.ts'))).rejects.toThrow();
    await fs.mkdir(path.join(ws, 'real'));
    await fs.rm(path.join(ws, 'lib'));
    await fs.symlink(path.join(ws, 'real'), path.join(ws, 'lib'));
    await refused('write_file', { path: 'lib/x.ts', content: 'x' }, 'goes through lib, a symlink');
  });

  it('secrets, node_modules and the output root', async () => {
    await refused('write_file', { path: '.env', content: 'KEY=other' }, 'refused: .env looks like a secret file');
    await refused('edit_file', { path: '.env', old_text: 'KEY', new_text: 'X' }, 'looks like a secret file');
    const wide: ToolContext = { ...ctx, builder: { owned: ['node_modules/', '.orchestration/'] } };
    expect((await run('write_file', { path: 'node_modules/x/index.js', content: 'x' }, wide)).content).toContain('is inside node_modules/');
    expect((await run('write_file', { path: '.orchestration/run1/x.md', content: 'x' }, wide)).content).toContain('is inside the output root');
    expect(read('.env')).toBe('KEY=secret-value\n');
  });

  it('never echoes file content in an error', async () => {
    const r = await run('edit_file', { path: '.env', old_text: 'KEY=secret-value', new_text: 'x' });
    expect(r.content).not.toContain('secret-value');
    const miss = await run('edit_file', { path: 'src/a.ts', old_text: 'nope', new_text: 'x' });
    expect(miss.content).not.toContain('export const');
  });
});
