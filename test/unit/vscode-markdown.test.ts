import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown, safeHref, stripHtml, type Block, type Inline } from '../../src/shared/markdown';

/** All the text a block tree would put into the DOM. */
function text(nodes: Array<Block | Inline>): string {
  const sep = nodes.some((n) => ['text', 'code', 'strong', 'em', 'link'].includes(n.type)) ? '' : '\n';
  return nodes.map((n) => {
    switch (n.type) {
      case 'text': case 'code': return n.text;
      case 'strong': case 'em': case 'link': case 'heading': case 'paragraph': return text(n.children);
      case 'list': return n.items.map((i) => text(i)).join('\n');
      case 'quote': return text(n.children);
      case 'table': return [...n.header, ...n.rows.flat()].map((c) => text(c)).join('|');
      case 'hr': return '';
    }
  }).join(sep);
}

describe('markdown sanitiser', () => {
  it('drops script and style elements with their content', () => {
    const out = text(parseMarkdown('Hello <script>alert("x")</script>world\n\n<style>body{display:none}</style>'));
    expect(out).toBe('Hello world');
  });

  it('drops other HTML tags, event handlers and comments, keeping visible text', () => {
    const out = text(parseMarkdown('<img src=x onerror="alert(1)"><b>bold</b> <a href="javascript:x">t</a>\n\n<!-- DONE -->'));
    expect(out).toBe('bold t');
    expect(stripHtml('a <iframe src="//evil"></iframe> b')).toBe('a  b');
  });

  it('keeps HTML inside code blocks as plain text', () => {
    const [block] = parseMarkdown('```html\n<script>alert(1)</script>\n```');
    expect(block).toEqual({ type: 'code', lang: 'html', text: '<script>alert(1)</script>' });
  });

  it('keeps relative file links, shows web links as external, and drops dangerous or escaping ones', () => {
    expect(parseInline('[a1](workers/a1.md)')).toEqual([{ type: 'link', href: 'workers/a1.md', external: false, children: [{ type: 'text', text: 'a1' }] }]);
    expect(parseInline('[doc](https://example.com/x)')[0]).toMatchObject({ type: 'link', external: true });
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', 'vscode://x', 'file:///etc/passwd', '../../etc/passwd', '/etc/passwd', '//evil.example']) {
      expect(safeHref(bad)).toBeNull();
      expect(parseInline(`[click](${bad})`)).toEqual([{ type: 'text', text: 'click' }]);
    }
  });

  it('parses the subset models use: headings, emphasis, code, lists, quotes, tables, rules', () => {
    const blocks = parseMarkdown([
      '# Findings', '', 'Some **bold**, *em* and `code`.', '', '- one', '- two', '  continued', '', '1. first', '2. second',
      '', '> quoted', '', '| Sev | Item |', '|---|---|', '| high | `eval` use |', '', '---',
    ].join('\n'));
    expect(blocks.map((b) => b.type)).toEqual(['heading', 'paragraph', 'list', 'list', 'quote', 'table', 'hr']);
    expect(blocks[2]).toMatchObject({ ordered: false });
    expect(text([blocks[2]!])).toBe('one\ntwo continued');
    expect(blocks[3]).toMatchObject({ ordered: true });
    expect(text([blocks[5]!])).toBe('Sev|Item|high|eval use');
    expect((blocks[1] as { children: Inline[] }).children.map((c) => c.type)).toEqual(['text', 'strong', 'text', 'em', 'text', 'code', 'text']);
  });
});
