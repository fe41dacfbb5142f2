// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { renderMarkdown } from '../../../webview/markdownDom';

/** The only elements and attributes markdown may create; anything else means model text became markup. */
const TAGS = new Set(['P', 'H3', 'H4', 'H5', 'H6', 'STRONG', 'EM', 'DEL', 'CODE', 'PRE', 'BR', 'HR', 'BLOCKQUOTE', 'UL', 'OL', 'LI',
  'INPUT', 'TABLE', 'THEAD', 'TBODY', 'TR', 'TH', 'TD', 'A', 'SPAN', 'SUP', 'DIV']);
const ATTRS = new Set(['href', 'title', 'class', 'style', 'type', 'disabled', 'start']);

function render(md: string, onLink = (_: string) => {}): HTMLElement {
  const host = document.createElement('div');
  host.append(renderMarkdown(md, onLink));
  return host;
}

/** Asserts the rendered tree holds only allowed elements and attributes, and no link goes anywhere. */
function expectInert(host: HTMLElement): void {
  for (const e of Array.from(host.querySelectorAll('*'))) {
    expect(TAGS.has(e.tagName), `unexpected <${e.tagName.toLowerCase()}>`).toBe(true);
    for (const a of Array.from(e.attributes)) expect(ATTRS.has(a.name), `unexpected ${a.name}= on <${e.tagName.toLowerCase()}>`).toBe(true);
    if (e.hasAttribute('href')) expect(e.getAttribute('href')).toBe('#');
    if (e.hasAttribute('style')) expect(e.getAttribute('style')).toMatch(/^text-align: (left|right|center);?$/);
    if (e.tagName === 'INPUT') expect((e as HTMLInputElement).type).toBe('checkbox');
  }
}

const NASTY = [
  'Hello <script>alert("x")</script>world',
  '<script>\nalert(1)\n</script>',
  '<img src=x onerror="alert(1)">',
  'text <img src=x onerror=alert(1)> inline',
  '<div onclick="alert(1)">\n\n**hi**\n\n</div>',
  '<style>body{display:none}</style>',
  '<iframe src="//evil"></iframe>',
  '<svg onload=alert(1)>',
  '<a href="javascript:alert(1)">t</a>',
  '| a | b |\n|---|---|\n| <script>alert(1)</script> | <img src=x onerror=alert(1)> |',
  '[x](https://example.com "<img src=x onerror=alert(1)>")',
  '[x](workers/a.md "\\"><script>alert(1)</script>")',
  '[click](javascript:alert(1))',
  '[click](JaVaScRiPt:alert(1))',
  '[click](jav&#x61;script:alert(1))',
  '<javascript:alert(1)>',
  '[ref]\n\n[ref]: javascript:alert(1)',
  '![x](https://evil.example/pixel.png)',
  '[a](data:text/html;base64,PHNjcmlwdD4=)',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '```html\n<script>alert(1)</script>\n```',
  '- [x] <img src=x onerror=alert(1)>',
];

describe('markdown DOM rendering', () => {
  it.each(NASTY)('creates only inert, allowed nodes for %j', (md) => {
    expectInert(render(md));
  });

  it('shows <script> and <img onerror> in text as the literal markup', () => {
    const host = render('Hello <script>alert("x")</script>world\n\n<img src=x onerror="alert(1)">');
    expect(host.querySelector('script, img')).toBeNull();
    expect(host.textContent).toBe('Hello <script>alert("x")</script>world<img src=x onerror="alert(1)">');
  });

  it('shows HTML in a table cell as text inside the cell', () => {
    const host = render('| a | b |\n|---|---|\n| <script>alert(1)</script> | <img src=x onerror=alert(1)> |');
    expect(host.querySelector('script, img')).toBeNull();
    expect(Array.from(host.querySelectorAll('td'), (td) => td.textContent)).toEqual(['<script>alert(1)</script>', '<img src=x onerror=alert(1)>']);
  });

  it('keeps markup in a link title as attribute text', () => {
    const host = render('[x](https://example.com "<img src=x onerror=alert(1)>")');
    const span = host.querySelector('span.external')!;
    expect(host.querySelector('img')).toBeNull();
    expect(span.getAttribute('title')).toBe('<img src=x onerror=alert(1)>\nhttps://example.com');
    expect(span.textContent).toBe('x');
  });

  it('renders javascript:, data: and escaping links as their text only', () => {
    for (const md of ['[click](javascript:alert(1))', '[click](jav&#x61;script:alert(1))', '[click][r]\n\n[r]: javascript:alert(1)',
      '[click](data:text/html,x)', '[click](../../etc/passwd)', '[click](//evil.example)']) {
      const host = render(md);
      expect(host.querySelector('a, span'), md).toBeNull();
      expect(host.textContent, md).toBe('click');
    }
    expect(render('<javascript:alert(1)>').querySelector('a, span')).toBeNull();
  });

  it('makes relative file links call onLink and shows web links as inert text with the address', () => {
    const onLink = vi.fn();
    const host = render('See [a1](workers/a1.md#L2), [b](<workers/my file.md>) and [docs](https://example.com/x) or https://example.org.', onLink);
    const [a1, b] = Array.from(host.querySelectorAll('a'));
    a1.click();
    b.click();
    expect(onLink.mock.calls).toEqual([['workers/a1.md'], ['workers/my file.md']]);
    expect(Array.from(host.querySelectorAll('span.external'), (s) => [s.textContent, s.getAttribute('title')]))
      .toEqual([['docs', 'https://example.com/x'], ['https://example.org', 'https://example.org']]);
  });

  it('renders GFM tables with header, body and alignment', () => {
    const host = render('| Sev | Item | n |\n|:---|:---:|---:|\n| high | `eval` use | 3 |\n| low | ~~x~~ | 1 |');
    expect(Array.from(host.querySelectorAll('thead th'), (c) => c.textContent)).toEqual(['Sev', 'Item', 'n']);
    expect(Array.from(host.querySelectorAll('tbody tr'), (r) => Array.from(r.children, (c) => c.textContent))).toEqual([['high', 'eval use', '3'], ['low', 'x', '1']]);
    expect(Array.from(host.querySelectorAll('th'), (c) => (c as HTMLElement).style.textAlign)).toEqual(['left', 'center', 'right']);
    expect(host.querySelector('tbody code')?.textContent).toBe('eval');
    expect(host.querySelector('tbody del')?.textContent).toBe('x');
  });

  it('renders task lists as disabled checkboxes with their state', () => {
    const host = render('- [x] done\n- [ ] todo\n- plain');
    const boxes = Array.from(host.querySelectorAll('li input'), (b) => b as HTMLInputElement);
    expect(boxes.map((b) => [b.type, b.checked, b.disabled])).toEqual([['checkbox', true, true], ['checkbox', false, true]]);
    expect(Array.from(host.querySelectorAll('li'), (li) => li.textContent)).toEqual([' done', ' todo', 'plain']);
    expectInert(host);
  });

  it('renders headings two levels down, emphasis, quotes, nested and ordered lists, code and rules', () => {
    const host = render(['# Findings', '', 'Some **bold**, *em* and `code`.', '', '> quoted', '', '3. three', '4. four',
      '   - nested', '', '```ts', 'const a = 1 < 2;', '```', '', '---'].join('\n'));
    expect(Array.from(host.children, (c) => c.tagName)).toEqual(['H3', 'P', 'BLOCKQUOTE', 'OL', 'PRE', 'HR']);
    expect(host.querySelector('p')!.innerHTML).toBe('Some <strong>bold</strong>, <em>em</em> and <code>code</code>.');
    expect((host.querySelector('ol') as HTMLOListElement).start).toBe(3);
    expect(host.querySelector('ol ul li')?.textContent).toBe('nested');
    expect(host.querySelector('pre code')?.textContent).toBe('const a = 1 < 2;');
  });

  it('hides the <!-- DONE --> sentinel', () => {
    expect(render('Result.\n\n<!-- DONE -->\n').textContent).toBe('Result.');
  });
});
