import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('layer boundaries', () => {
  it("nothing in src/engine imports 'vscode'", () => {
    const offenders = files(path.join(root, 'src/engine'))
      .filter((f) => /from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\)/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('nothing in src/engine imports the simulator (front ends choose the provider)', () => {
    const offenders = files(path.join(root, 'src/engine'))
      .filter((f) => /from\s+['"](\.\.\/)+simulator/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('only src/engine/model/anthropic.ts imports @anthropic-ai/sdk', () => {
    const importers = files(path.join(root, 'src'))
      .filter((f) => /from\s+['"]@anthropic-ai\/sdk/.test(readFileSync(f, 'utf8')))
      .map((f) => path.relative(root, f));
    expect(importers).toEqual(['src/engine/model/anthropic.ts']);
  });

  it('only webview/ imports the webview UI toolkit', () => {
    const importers = files(path.join(root, 'src')).filter((f) => readFileSync(f, 'utf8').includes('@vscode/webview-ui-toolkit'));
    expect(importers).toEqual([]);
  });
});
