import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveInsideRun } from '../../src/vscode/panels/paths';

const root = mkdtempSync(path.join(tmpdir(), 'orch-paths-'));
const run = path.join(root, '.orchestration', '20250601-115500-ab12');
mkdirSync(path.join(run, 'workers'), { recursive: true });
writeFileSync(path.join(run, 'workers', 'a1.md'), 'x');
writeFileSync(path.join(root, 'secret.txt'), 'top secret');
symlinkSync(path.join(root, 'secret.txt'), path.join(run, 'workers', 'link.md'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('files the webview may open', () => {
  it('resolves a file inside the run, and one not written yet', async () => {
    expect(await resolveInsideRun(run, 'workers/a1.md')).toBe(path.join(run, 'workers', 'a1.md'));
    expect(await resolveInsideRun(run, 'summary.md')).toBe(path.join(run, 'summary.md'));
  });

  it('resolves a folder whose name starts with two dots', async () => {
    expect(await resolveInsideRun(run, '..drafts/a.md')).toBe(path.join(run, '..drafts', 'a.md'));
    expect(await resolveInsideRun(run, '..')).toBeNull();
  });

  it.each(['../../secret.txt', 'workers/../../x', '/etc/passwd', 'C:/Windows/win.ini', '', '.', 'workers/link.md', 'a\0b'])(
    'refuses %j', async (rel) => {
      expect(await resolveInsideRun(run, rel)).toBeNull();
    });
});
