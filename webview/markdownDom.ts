/**
 * Turns the mdast tree of src/shared/markdown.ts into DOM nodes. Model text only ever enters the DOM
 * through createTextNode / textContent / attribute properties, never innerHTML, so it cannot inject
 * markup: raw HTML shows as the literal text it is. File links call `onLink`; web addresses are
 * shown (with the address as a tooltip), not followed; any other link is just its text.
 */
import type { AlignType, Definition, Parents, Root, RootContent, TableRow } from 'mdast';
import { parseMarkdown, safeHref } from '../src/shared/markdown';

export type LinkHandler = (relPath: string) => void;

interface Ctx {
  onLink: LinkHandler;
  /** `[text][label]` references resolve through the document's `[label]: url` definitions. */
  definitions: Map<string, Definition>;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, children: Node[] = []): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.append(...children);
  return e;
}

function text(value: string): Text {
  return document.createTextNode(value);
}

function kids(parent: Parents, ctx: Ctx): Node[] {
  return parent.children.flatMap((c) => node(c, ctx));
}

/** A link that survives `safeHref`: a clickable file link, or an inert web address; else its text. */
function link(url: string, title: string | null | undefined, children: Node[], ctx: Ctx): Node[] {
  const target = safeHref(url);
  if (!target) return children;
  const tip = title ? `${title}\n${target.href}` : target.href;
  if (target.external) {
    const s = el('span', children);
    s.className = 'external';
    s.title = tip;
    return [s];
  }
  const a = el('a', children);
  a.href = '#';
  a.title = tip;
  a.addEventListener('click', (e) => { e.preventDefault(); ctx.onLink(target.href); });
  return [a];
}

function tableRow(row: TableRow, cell: 'th' | 'td', align: Array<AlignType | undefined>, ctx: Ctx): HTMLElement {
  return el('tr', row.children.map((c, i) => {
    const e = el(cell, kids(c, ctx));
    const a = align[i];
    if (a) e.style.textAlign = a;
    return e;
  }));
}

function node(n: RootContent, ctx: Ctx): Node[] {
  switch (n.type) {
    case 'text': return [text(n.value)];
    // Raw HTML is model text like any other: shown, never parsed. A block of it keeps its lines.
    case 'html': return [n.value.includes('\n') ? el('pre', [el('code', [text(n.value)])]) : text(n.value)];
    case 'inlineCode': return [el('code', [text(n.value)])];
    case 'strong': return [el('strong', kids(n, ctx))];
    case 'emphasis': return [el('em', kids(n, ctx))];
    case 'delete': return [el('del', kids(n, ctx))];
    case 'break': return [el('br')];
    case 'link': return link(n.url, n.title, kids(n, ctx), ctx);
    case 'linkReference': {
      const d = ctx.definitions.get(n.identifier);
      return d ? link(d.url, d.title, kids(n, ctx), ctx) : [text(`[${n.label ?? n.identifier}]`)];
    }
    // Images are never fetched (the CSP forbids it anyway): their alt text stands in.
    case 'image': case 'imageReference': return n.alt ? [text(n.alt)] : [];
    case 'footnoteReference': return [el('sup', [text(`[${n.label ?? n.identifier}]`)])];
    // Headings shift down two levels: the card or section around them already has h2/h3.
    case 'heading': return [el(`h${Math.min(6, n.depth + 2)}` as 'h3', kids(n, ctx))];
    case 'paragraph': return [el('p', kids(n, ctx))];
    case 'blockquote': return [el('blockquote', kids(n, ctx))];
    case 'list': {
      if (!n.ordered) return [el('ul', kids(n, ctx))];
      const ol = el('ol', kids(n, ctx));
      if (typeof n.start === 'number' && n.start !== 1) ol.start = n.start;
      return [ol];
    }
    case 'listItem': {
      // A tight list item's paragraphs render inline, as GitHub does.
      const body = n.spread ? kids(n, ctx) : n.children.flatMap((c) => (c.type === 'paragraph' ? kids(c, ctx) : node(c, ctx)));
      if (typeof n.checked !== 'boolean') return [el('li', body)];
      const box = el('input');
      box.type = 'checkbox';
      box.checked = n.checked;
      box.disabled = true;
      const li = el('li', [box, text(' '), ...body]);
      li.className = 'task';
      return [li];
    }
    case 'code': return [el('pre', [el('code', [text(n.value)])])];
    case 'thematicBreak': return [el('hr')];
    case 'table': {
      const [head, ...rows] = n.children;
      const align = n.align ?? [];
      const parts: Node[] = [];
      if (head) parts.push(el('thead', [tableRow(head, 'th', align, ctx)]));
      if (rows.length) parts.push(el('tbody', rows.map((r) => tableRow(r, 'td', align, ctx))));
      return [el('table', parts)];
    }
    case 'footnoteDefinition': {
      const def = el('div', [el('sup', [text(`[${n.label ?? n.identifier}]`)]), ...kids(n, ctx)]);
      def.className = 'footnote';
      return [def];
    }
    // Rows and cells render through their table; definitions only feed references; no front matter.
    case 'tableRow': case 'tableCell': case 'definition': case 'yaml': return [];
  }
}

function collectDefinitions(parent: Parents, into: Map<string, Definition>): void {
  for (const c of parent.children) {
    if (c.type === 'definition' && !into.has(c.identifier)) into.set(c.identifier, c);
    else if ('children' in c) collectDefinitions(c, into);
  }
}

/** Renders an mdast tree (see `parseMarkdown`) into DOM nodes. */
export function renderTree(root: Root, onLink: LinkHandler): DocumentFragment {
  const ctx: Ctx = { onLink, definitions: new Map() };
  collectDefinitions(root, ctx.definitions);
  const frag = document.createDocumentFragment();
  frag.append(...kids(root, ctx));
  return frag;
}

export function renderMarkdown(source: string, onLink: LinkHandler): DocumentFragment {
  return renderTree(parseMarkdown(source), onLink);
}
