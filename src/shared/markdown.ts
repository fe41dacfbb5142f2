/**
 * A deliberately small markdown parser for model-written text. It produces a plain tree that the
 * webview turns into DOM nodes with `textContent` only, so no model text is ever parsed as HTML.
 * Raw HTML is dropped here (scripts and styles with their content, other tags leaving their text),
 * and links survive only when they point at a relative file or an http(s) address.
 */

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] }
  | { type: 'link'; href: string; external: boolean; children: Inline[] };

export type Block =
  | { type: 'heading'; level: number; children: Inline[] }
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'list'; ordered: boolean; items: Inline[][] }
  | { type: 'code'; lang: string; text: string }
  | { type: 'quote'; children: Block[] }
  | { type: 'table'; header: Inline[][]; rows: Inline[][][] }
  | { type: 'hr' };

/** Removes raw HTML: comments, script/style elements with their content, and any other tag. */
export function stripHtml(text: string): string {
  return text
    .replace(/<!--[\s\S]*?(-->|$)/g, '')
    .replace(/<(script|style|iframe|object|embed|template)\b[\s\S]*?(<\/\1\s*>|$)/gi, '')
    .replace(/<\/?[A-Za-z!?][^<>]*>/g, '');
}

/** A link target the webview may act on: a relative file path, or an http(s) address shown as text. */
export function safeHref(href: string): { href: string; external: boolean } | null {
  const h = href.trim();
  if (/^https?:\/\//i.test(h)) return { href: h, external: true };
  if (/^[a-z][a-z0-9+.-]*:/i.test(h) || h.startsWith('//') || h.startsWith('/') || h.startsWith('\\')) return null;
  const path = h.split('#')[0];
  if (!path || path.split(/[\\/]/).includes('..')) return null;
  return { href: path, external: false };
}

const INLINE = /(`+)([\s\S]*?)\1|\*\*([^*]+?)\*\*|__([^_]+?)__|\*([^*\s][^*]*?)\*|\b_([^_\s][^_]*?)_\b|\[([^\]]*)\]\(((?:[^()\s]|\([^()\s]*\))*)(?:\s+"[^"]*")?\)/;

export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let rest = text;
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) { pushText(out, rest); break; }
    if (m.index > 0) pushText(out, rest.slice(0, m.index));
    if (m[1] !== undefined) out.push({ type: 'code', text: m[2].trim() });
    else if (m[3] !== undefined || m[4] !== undefined) out.push({ type: 'strong', children: parseInline(m[3] ?? m[4]) });
    else if (m[5] !== undefined || m[6] !== undefined) out.push({ type: 'em', children: parseInline(m[5] ?? m[6]) });
    else {
      const target = safeHref(m[8]);
      const children = parseInline(m[7] || m[8]);
      if (target) out.push({ type: 'link', href: target.href, external: target.external, children });
      else out.push(...children);
    }
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

function pushText(out: Inline[], text: string): void {
  const last = out[out.length - 1];
  if (last?.type === 'text') last.text += text;
  else if (text) out.push({ type: 'text', text });
}

const FENCE = /^\s{0,3}(```|~~~)\s*([\w+-]*)/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const ORDERED = /^\s*\d{1,9}[.)]\s+(.*)$/;
const HR = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const TABLE_SEP = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

function cells(line: string): Inline[][] {
  const trimmed = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return trimmed.split('|').map((c) => parseInline(c.trim()));
}

/** Parses markdown into blocks. Code blocks keep their text verbatim (HTML in them is just text). */
export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  let para: string[] = [];
  const flush = () => {
    const text = stripHtml(para.join(' ')).trim();
    if (text) blocks.push({ type: 'paragraph', children: parseInline(text) });
    para = [];
  };
  while (i < lines.length) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trimStart().startsWith(fence[1])) body.push(lines[i++]);
      i++;
      blocks.push({ type: 'code', lang: fence[2], text: body.join('\n') });
      continue;
    }
    const clean = stripHtml(line);
    if (!clean.trim()) { flush(); i++; continue; }
    let m: RegExpExecArray | null;
    if ((m = HEADING.exec(clean))) { flush(); blocks.push({ type: 'heading', level: m[1].length, children: parseInline(m[2]) }); i++; continue; }
    if (HR.test(clean)) { flush(); blocks.push({ type: 'hr' }); i++; continue; }
    if (clean.includes('|') && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1])) {
      flush();
      const header = cells(clean);
      const rows: Inline[][][] = [];
      i += 2;
      while (i < lines.length && lines[i].includes('|') && lines[i].trim()) rows.push(cells(stripHtml(lines[i++])));
      blocks.push({ type: 'table', header, rows });
      continue;
    }
    if (/^\s{0,3}>/.test(clean)) {
      flush();
      const quoted: string[] = [];
      while (i < lines.length && /^\s{0,3}>/.test(lines[i])) quoted.push(lines[i++].replace(/^\s{0,3}>\s?/, ''));
      blocks.push({ type: 'quote', children: parseMarkdown(quoted.join('\n')) });
      continue;
    }
    const listKind = BULLET.test(clean) ? BULLET : ORDERED.test(clean) ? ORDERED : null;
    if (listKind) {
      flush();
      const items: Inline[][] = [];
      while (i < lines.length) {
        const item = listKind.exec(stripHtml(lines[i]));
        if (item) { items.push(parseInline(item[1])); i++; continue; }
        // An indented continuation line belongs to the previous item.
        if (/^\s{2,}\S/.test(lines[i]) && items.length) {
          items[items.length - 1].push({ type: 'text', text: ' ' }, ...parseInline(stripHtml(lines[i]).trim()));
          i++;
          continue;
        }
        break;
      }
      blocks.push({ type: 'list', ordered: listKind === ORDERED, items });
      continue;
    }
    para.push(line);
    i++;
  }
  flush();
  return blocks;
}
