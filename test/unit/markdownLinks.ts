/**
 * Links and heading anchors of a markdown document, read with the parser the product itself uses
 * (micromark + GFM via mdast), so a link inside a code block or an inline code span is never taken
 * for one, and reference-style links resolve like on GitHub.
 */
import type { Nodes } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';

export interface MarkdownLink { url: string; line: number }

function parse(md: string) {
  return fromMarkdown(md, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
}

function walk(node: Nodes, visit: (n: Nodes) => void): void {
  visit(node);
  if ('children' in node) for (const c of node.children) walk(c, visit);
}

function text(node: Nodes): string {
  if (node.type === 'text' || node.type === 'inlineCode') return node.value;
  return 'children' in node ? node.children.map((c) => text(c)).join('') : '';
}

/** Every link target: inline links, autolinks, images, and link/image references through their definitions. */
export function markdownLinks(md: string): MarkdownLink[] {
  const tree = parse(md);
  const definitions = new Map<string, string>();
  walk(tree, (n) => { if (n.type === 'definition') definitions.set(n.identifier, n.url); });
  const links: MarkdownLink[] = [];
  walk(tree, (n) => {
    const line = n.position?.start.line ?? 0;
    if (n.type === 'link' || n.type === 'image') links.push({ url: n.url, line });
    if (n.type === 'linkReference' || n.type === 'imageReference') links.push({ url: definitions.get(n.identifier) ?? `[missing definition ${n.identifier}]`, line });
  });
  return links;
}

/** The anchors GitHub gives the document's headings (github-slugger's rule: lower case, punctuation dropped, spaces to hyphens, repeats numbered). */
export function headingAnchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  walk(parse(md), (n) => {
    if (n.type !== 'heading') return;
    const slug = text(n).toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count ? `${slug}-${count}` : slug);
  });
  return anchors;
}

/** Every inline code span (not fenced blocks), with its line. */
export function inlineCode(md: string): { value: string; line: number }[] {
  const out: { value: string; line: number }[] = [];
  walk(parse(md), (n) => { if (n.type === 'inlineCode') out.push({ value: n.value, line: n.position?.start.line ?? 0 }); });
  return out;
}
