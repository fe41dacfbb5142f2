import type { Nodes, RootContent } from 'mdast';
import { describe, expect, it } from 'vitest';
import { parseMarkdown, safeHref } from '../../src/shared/markdown';

/** Every node of a tree, depth first. */
function all(n: Nodes): Nodes[] {
  return [n, ...('children' in n ? n.children.flatMap((c: RootContent) => all(c)) : [])];
}

/** The literal text a tree carries (text, code and raw HTML values), as the DOM would show it. */
function text(n: Nodes): string {
  return all(n).map((x) => ('value' in x && x.type !== 'yaml' ? x.value : '')).join('');
}

describe('markdown parser', () => {
  it('keeps raw HTML as html nodes holding the literal markup, never as parsed elements', () => {
    const root = parseMarkdown('Hello <script>alert("x")</script>world\n\n<img src=x onerror="alert(1)">\n\n<style>body{display:none}</style>');
    const html = all(root).filter((n) => n.type === 'html').map((n) => (n as { value: string }).value);
    expect(html).toEqual(['<script>', '</script>', '<img src=x onerror="alert(1)">', '<style>body{display:none}</style>']);
    expect(text(root)).toBe('Hello <script>alert("x")</script>world<img src=x onerror="alert(1)"><style>body{display:none}</style>');
  });

  it('drops HTML comments, so the <!-- DONE --> sentinel never shows', () => {
    const root = parseMarkdown('Result.\n\n<!-- DONE -->\n');
    expect(all(root).some((n) => n.type === 'html')).toBe(false);
    expect(text(root)).toBe('Result.');
    expect(text(parseMarkdown('a <!-- hidden --> b <b>c</b>'))).toBe('a  b <b>c</b>');
  });

  it('keeps HTML inside code blocks as plain text', () => {
    const [block] = parseMarkdown('```html\n<script>alert(1)</script>\n```').children;
    expect(block).toMatchObject({ type: 'code', lang: 'html', value: '<script>alert(1)</script>' });
  });

  it('decodes character references into text instead of leaving markup to a browser', () => {
    expect(text(parseMarkdown('&lt;script&gt; &amp; &copy; &#x3C;b&#62;'))).toBe('<script> & © <b>');
  });

  it('keeps relative file links, marks web links external, and refuses dangerous or escaping ones', () => {
    expect(safeHref('workers/a1.md')).toEqual({ href: 'workers/a1.md', external: false });
    expect(safeHref('workers/a1.md#L3')).toEqual({ href: 'workers/a1.md', external: false });
    expect(safeHref('https://example.com/x')).toEqual({ href: 'https://example.com/x', external: true });
    for (const bad of ['javascript:alert(1)', ' JavaScript:alert(1)', 'data:text/html,x', 'vbscript:x', 'vscode://x', 'file:///etc/passwd', '../../etc/passwd', 'a/../../b', '/etc/passwd', '//evil.example', '\\\\evil\\x']) {
      expect(safeHref(bad), bad).toBeNull();
    }
    // Entity-encoded schemes reach safeHref decoded, so they are refused like the plain ones.
    const [p] = parseMarkdown('[x](jav&#x61;script:alert(1))').children;
    expect(p).toMatchObject({ type: 'paragraph', children: [{ type: 'link', url: 'javascript:alert(1)' }] });
  });

  it('parses CommonMark and GFM: headings, emphasis, code, lists, quotes, tables, task lists, strikethrough, rules', () => {
    const root = parseMarkdown([
      '# Findings', '', 'Some **bold**, *em*, ~~old~~ and `code`.', '', '- one', '- two', '  continued', '', '1. first', '2. second',
      '', '> quoted', '', '| Sev | Item |', '|:---|---:|', '| high | `eval` use |', '', '- [x] done', '- [ ] todo', '', '---',
    ].join('\n'));
    const blocks = root.children;
    expect(blocks.map((b) => b.type)).toEqual(['heading', 'paragraph', 'list', 'list', 'blockquote', 'table', 'list', 'thematicBreak']);
    expect(blocks[2]).toMatchObject({ ordered: false });
    expect(blocks[2].type === 'list' && blocks[2].children.map(text)).toEqual(['one', 'two\ncontinued']);
    expect(blocks[3]).toMatchObject({ ordered: true });
    expect(blocks[5]).toMatchObject({ type: 'table', align: ['left', 'right'] });
    expect(blocks[5].type === 'table' && blocks[5].children.map((r) => r.children.map(text))).toEqual([['Sev', 'Item'], ['high', 'eval use']]);
    expect(blocks[6].type === 'list' && blocks[6].children.map((i) => i.checked)).toEqual([true, false]);
    expect(blocks[1].type === 'paragraph' && blocks[1].children.map((c) => c.type))
      .toEqual(['text', 'strong', 'text', 'emphasis', 'text', 'delete', 'text', 'inlineCode', 'text']);
  });
});
