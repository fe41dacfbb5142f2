import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scopeExistsSync, workspaceOverview } from '../../src/engine/plan/workspace';

let ws: string;
let outside: string;

async function put(rel: string, content: string | Buffer, root = ws): Promise<void> {
  const abs = path.join(root, rel);
  await fs.mkdir(path.dirname(abs), { recursive: true });
  await fs.writeFile(abs, content);
}

beforeEach(async () => {
  ws = await fs.mkdtemp(path.join(os.tmpdir(), 'sao-ws-'));
  outside = await fs.mkdtemp(path.join(os.tmpdir(), 'sao-outside-'));
  await put('src/cli.ts', 'x'.repeat(3174));
  await put('src/engine/agent.ts', 'a'.repeat(100));
  await put('src/engine/tools.ts', 'b'.repeat(2048));
  await put('README.md', '# hi\n');
  await put('docs/guide.md', 'guide\n');
  await put('.env', 'KEY=1\n');
  await put('config/prod.pem', 'PEM');
  await put('.ssh/id_ed25519', 'KEY');
  await put('.git/HEAD', 'ref: refs/heads/main\n');
  await put('node_modules/dep/index.js', 'module.exports = 1;\n');
  await put('.orchestration/run1/plan.json', '{}');
  await put('outside.txt', 'secret', outside);
});

afterEach(async () => {
  await fs.rm(ws, { recursive: true, force: true });
  await fs.rm(outside, { recursive: true, force: true });
});

describe('workspaceOverview', () => {
  it('renders an indented tree of folders and files with sizes and totals, no contents', async () => {
    const text = await workspaceOverview(ws, { outputRoot: '.orchestration' });
    expect(text.split('\n')).toEqual([
      'Workspace: 5 files, 5.2 KB',
      'config/ (empty)',
      'docs/ (1 file, 6 B)',
      '  guide.md 6 B',
      'src/ (3 files, 5.2 KB)',
      '  engine/ (2 files, 2.1 KB)',
      '    agent.ts 100 B',
      '    tools.ts 2 KB',
      '  cli.ts 3.1 KB',
      'README.md 5 B',
    ]);
  });

  it('is deterministic', async () => {
    const a = await workspaceOverview(ws, { outputRoot: '.orchestration' });
    const b = await workspaceOverview(ws, { outputRoot: '.orchestration' });
    expect(a).toBe(b);
  });

  it('leaves out secrets, .git, node_modules and the output root', async () => {
    const text = await workspaceOverview(ws, { outputRoot: '.orchestration' });
    for (const hidden of ['.env', 'prod.pem', '.ssh', 'id_ed25519', '.git', 'HEAD', 'node_modules', '.orchestration', 'plan.json']) {
      expect(text, hidden).not.toContain(hidden);
    }
  });

  it('leaves out a symlink that leads outside the workspace', async () => {
    await fs.symlink(path.join(outside, 'outside.txt'), path.join(ws, 'docs', 'leak.txt'));
    const text = await workspaceOverview(ws, { outputRoot: '.orchestration' });
    expect(text).not.toContain('leak.txt');
  });

  it('collapses folders to stay within maxEntries and says how many', async () => {
    for (let i = 0; i < 30; i++) await put(`fixtures/case${String(i).padStart(2, '0')}.json`, '{}');
    const text = await workspaceOverview(ws, { outputRoot: '.orchestration', maxEntries: 10 });
    const lines = text.split('\n');
    const tree = lines.filter((l) => !l.startsWith('[') && !l.startsWith('Workspace:'));
    expect(tree.length).toBeLessThanOrEqual(10);
    expect(text).toContain('fixtures/ (30 files, 60 B) [collapsed]');
    expect(text).not.toContain('case00.json');
    expect(lines[lines.length - 1]).toMatch(/^\[\d+ folders? collapsed to stay within 10 entries\]$/);
    // Small folders still open even though a big one could not.
    expect(text).toContain('  guide.md 6 B');
  });

  it('omits top-level entries beyond maxEntries with a note', async () => {
    const text = await workspaceOverview(ws, { outputRoot: '.orchestration', maxEntries: 2 });
    expect(text.split('\n').slice(1, 3)).toEqual(['config/ (empty)', 'docs/ (1 file, 6 B) [collapsed]']);
    expect(text).toContain('[2 more top-level entries omitted to stay within 2 entries]');
  });

  it('restricts to focus folders', async () => {
    const text = await workspaceOverview(ws, { outputRoot: '.orchestration', focus: ['src/engine', 'README.md', 'missing', '.git'] });
    expect(text.split('\n')).toEqual([
      'Focus README.md, src/engine: 3 files, 2.1 KB',
      'src/engine/ (2 files, 2.1 KB)',
      '  agent.ts 100 B',
      '  tools.ts 2 KB',
      'README.md 5 B',
      '[focus .git skipped: refused: .git is inside .git/]',
      '[focus missing does not exist]',
    ]);
  });

  it('merges a focus folder inside another one', async () => {
    const text = await workspaceOverview(ws, { outputRoot: '.orchestration', focus: ['src/engine', 'src/'] });
    expect(text.split('\n')[0]).toBe('Focus src: 3 files, 5.2 KB');
    expect(text.match(/agent\.ts/g)).toHaveLength(1);
  });
});

describe('scopeExists', () => {
  it('is true for existing files and folders the tools may read', () => {
    const exists = scopeExistsSync(ws, '.orchestration');
    for (const p of ['src', 'src/', './src/cli.ts', 'src/engine/tools.ts', path.join(ws, 'README.md'), '.']) {
      expect(exists(p), p).toBe(true);
    }
  });

  it('is false for missing, refused and outside paths', async () => {
    await fs.symlink(path.join(outside, 'outside.txt'), path.join(ws, 'link.txt'));
    const exists = scopeExistsSync(ws, '.orchestration');
    for (const p of ['src/missing.ts', '', '.env', 'config/prod.pem', '.ssh/id_ed25519', '.git/HEAD', '.git', 'node_modules/dep',
      '.orchestration', '.orchestration/run1/plan.json', '../', path.join(outside, 'outside.txt'), 'link.txt']) {
      expect(exists(p), p).toBe(false);
    }
  });
});
