/**
 * Markdown for model-written text: CommonMark + GFM parsed by micromark into an mdast tree, which the
 * webview (webview/markdownDom.ts) turns into DOM nodes with createElement/textContent only. Nothing
 * here or there hands model text to an HTML parser: raw HTML stays an `html` node whose value is
 * shown as literal text, and links survive only when they point at a relative file or an http(s)
 * address.
 */
import type { Html, Nodes, Parents, Root } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';

export type { Root };

/** A link target the webview may act on: a relative file path, or an http(s) address shown as text. */
export function safeHref(href: string): { href: string; external: boolean } | null {
  const h = href.trim();
  if (/^https?:\/\//i.test(h)) return { href: h, external: true };
  if (/^[a-z][a-z0-9+.-]*:/i.test(h) || h.startsWith('//') || h.startsWith('/') || h.startsWith('\\')) return null;
  const path = h.split('#')[0];
  if (!path || path.split(/[\\/]/).includes('..')) return null;
  return { href: path, external: false };
}

const COMMENTS_ONLY = /^(\s*<!--[\s\S]*?-->)+\s*$/;

/** True for raw HTML that is nothing but comments, which no markdown renderer shows. */
function isComment(node: Nodes): node is Html {
  return node.type === 'html' && COMMENTS_ONLY.test(node.value);
}

/**
 * Parses markdown into an mdast tree. HTML comments are dropped, since every renderer hides them and
 * agents end their files with the `<!-- DONE -->` sentinel; all other raw HTML stays in the tree as
 * `html` nodes for the renderer to show as text.
 */
export function parseMarkdown(source: string): Root {
  const root = fromMarkdown(source, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
  dropComments(root);
  return root;
}

function dropComments(parent: Parents): void {
  for (let i = parent.children.length - 1; i >= 0; i--) {
    const c = parent.children[i];
    if (isComment(c)) parent.children.splice(i, 1);
    else if ('children' in c) dropComments(c);
  }
}
