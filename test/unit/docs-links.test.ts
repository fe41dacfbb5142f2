/**
 * Every link in the repository's documents resolves on a fresh clone: a relative link names a file
 * or folder that exists, and an anchor (`#…`, or `other.md#…`) names a heading of that document.
 * Web addresses are left to the reader (no network in tests).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { headingAnchors, inlineCode, markdownLinks } from './markdownLinks';

const root = path.join(__dirname, '../..');
const DOCS = [...readdirSync(root).filter((f) => f.endsWith('.md')), 'test/e2e/README.md'];
const anchorsOf = new Map<string, Set<string>>();
const anchors = (file: string) => anchorsOf.get(file) ?? anchorsOf.set(file, headingAnchors(readFileSync(file, 'utf8'))).get(file)!;

function problemsIn(doc: string): string[] {
  const file = path.join(root, doc);
  const problems: string[] = [];
  for (const { url, line } of markdownLinks(readFileSync(file, 'utf8'))) {
    const where = `${doc}:${line} ${url}`;
    if (/^(https?|mailto):/i.test(url)) continue;
    if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('/')) { problems.push(`${where}: not a relative link or a web address`); continue; }
    const [target, anchor] = url.split('#', 2) as [string, string | undefined];
    const resolved = target ? path.resolve(path.dirname(file), decodeURIComponent(target)) : file;
    if (!existsSync(resolved)) { problems.push(`${where}: no such file`); continue; }
    if (anchor !== undefined && resolved.endsWith('.md') && !anchors(resolved).has(decodeURIComponent(anchor))) {
      problems.push(`${where}: no heading with that anchor`);
    }
  }
  return problems;
}

describe('links in the documents', () => {
  it.each(DOCS)('%s: every relative link and anchor resolves', (doc) => {
    expect(problemsIn(doc)).toEqual([]);
  });

  it('README.md links only to web addresses and its own headings, since it is also the .vsix\'s page', () => {
    // vsce rewrites a relative link against the repository URL, and refuses to package without one.
    const files = markdownLinks(readFileSync(path.join(root, 'README.md'), 'utf8')).filter((l) => !/^(https?:|mailto:|#)/i.test(l.url));
    expect(files).toEqual([]);
  });

  it('README.md names only repository files that exist', () => {
    // A path in code (`test/e2e/setup.sh`) is how the README points into the repository; placeholders
    // and globs (`prompts/<name>/`, `docs/*.pdf`) describe, they do not name.
    const paths = inlineCode(readFileSync(path.join(root, 'README.md'), 'utf8'))
      .filter((c) => /^(\.ci|src|test|media|prompts|examples|webview)\/[\w./-]*$/.test(c.value));
    expect(paths.length).toBeGreaterThan(3);
    expect(paths.filter((c) => !existsSync(path.join(root, c.value))).map((c) => `README.md:${c.line} ${c.value}`)).toEqual([]);
  });

  it('reads links the way GitHub does, so a broken one cannot hide', () => {
    const md = '# Quick start\n## Quick start\nSee [a](#quick-start-1), [b](missing.md), `[c](code.md)`, [d][ref].\n\n```\n[e](fenced.md)\n```\n[ref]: other.md#x\n';
    expect(markdownLinks(md).map((l) => l.url)).toEqual(['#quick-start-1', 'missing.md', 'other.md#x']);
    expect([...headingAnchors(md)]).toEqual(['quick-start', 'quick-start-1']);
    expect([...headingAnchors('## Changing code: the build pattern\n### Editor panels: plan review, run dashboard — agent view\n')])
      .toEqual(['changing-code-the-build-pattern', 'editor-panels-plan-review-run-dashboard--agent-view']);
    expect(inlineCode(md).map((c) => c.value)).toEqual(['[c](code.md)']);
  });
});
