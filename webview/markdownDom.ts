/**
 * Turns the parsed markdown tree (src/shared/markdown.ts) into DOM nodes. Text only ever enters
 * the DOM through textContent / createTextNode, never innerHTML, so model output cannot inject
 * markup. File links call `onLink`; web addresses are shown, not followed.
 */
import { parseMarkdown, type Block, type Inline } from '../src/shared/markdown';

export type LinkHandler = (relPath: string) => void;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, children: Node[] = []): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.append(...children);
  return e;
}

function inlines(nodes: Inline[], onLink: LinkHandler): Node[] {
  return nodes.map((n): Node => {
    switch (n.type) {
      case 'text': return document.createTextNode(n.text);
      case 'code': { const c = el('code'); c.textContent = n.text; return c; }
      case 'strong': return el('strong', inlines(n.children, onLink));
      case 'em': return el('em', inlines(n.children, onLink));
      case 'link': {
        if (n.external) {
          const s = el('span', inlines(n.children, onLink));
          s.className = 'external';
          s.title = n.href;
          return s;
        }
        const a = el('a', inlines(n.children, onLink));
        a.href = '#';
        a.title = n.href;
        a.addEventListener('click', (e) => { e.preventDefault(); onLink(n.href); });
        return a;
      }
    }
  });
}

function block(b: Block, onLink: LinkHandler): Node {
  switch (b.type) {
    // Headings shift down two levels: the card or section around them already has h2/h3.
    case 'heading': return el(`h${Math.min(6, b.level + 2)}` as 'h3', inlines(b.children, onLink));
    case 'paragraph': return el('p', inlines(b.children, onLink));
    case 'list': return el(b.ordered ? 'ol' : 'ul', b.items.map((item) => el('li', inlines(item, onLink))));
    case 'code': { const code = el('code'); code.textContent = b.text; return el('pre', [code]); }
    case 'quote': return el('blockquote', b.children.map((c) => block(c, onLink)));
    case 'hr': return el('hr');
    case 'table': {
      const head = el('tr', b.header.map((c) => el('th', inlines(c, onLink))));
      const rows = b.rows.map((r) => el('tr', r.map((c) => el('td', inlines(c, onLink)))));
      return el('table', [el('thead', [head]), el('tbody', rows)]);
    }
  }
}

export function renderMarkdown(source: string, onLink: LinkHandler): DocumentFragment {
  const frag = document.createDocumentFragment();
  for (const b of parseMarkdown(source)) frag.append(block(b, onLink));
  return frag;
}
