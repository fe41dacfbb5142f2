/**
 * Findings out of an audit's synthesis markdown (Fix Findings). Models write these files, so the
 * shape is a convention the prompts ask for (a `## Findings`-like section of bullets, each with a
 * severity tag and a cited file), never a guarantee: the markdown is parsed (CommonMark + GFM),
 * and lists and tables under a findings-like heading are read; without such a heading, only list
 * items that state a severity count. Anything else yields nothing rather than noise.
 */
import type { Heading, List, ListItem, Nodes, Root, RootContent, Table } from 'mdast';
import { parseMarkdown } from '../../shared/markdown';
import type { Severity } from '../pipelineFiles';

/** A finding as read from one file, before the run-wide numbering. */
export interface RawFinding {
  text: string;
  severity: Severity | null;
  file: string | null;
  line: number | null;
}

/** Longest finding text kept: a finding is a sentence or a short paragraph, not a report. */
export const MAX_FINDING_CHARS = 600;

/** Headings whose section lists findings (`Top findings`, `Issues`, `Top actions`, `Conditions`…). */
const FINDINGS_HEADING = /\b(findings?|issues?|problems?|vulnerabilit(?:y|ies)|defects?|bugs?|risks?|actions?|conditions?|recommendations?|concerns?|fix(?:es)?)\b/i;
/** Headings that name findings outright: when such sections list any, the action-like ones (conditions, top actions) only repeat them. */
const STRONG_HEADING = /\b(findings?|issues?|problems?|vulnerabilit(?:y|ies)|defects?|bugs?)\b/i;
/** Headings that mention such a word but hold something else. */
const NOT_FINDINGS = /\b(per-worker|details|failed workers|gaps?|coverage|summary|verdict|agree|disagree)\b/i;
const EMPTY_ITEM = /^(none|n\/a|nothing\b|no (?:actionable |notable )?(?:findings?|issues?|items?|problems?|concerns?)\b|no coordinator)/i;

const SEVERITY_WORDS: Record<string, Severity> = {
  critical: 'critical', blocker: 'critical',
  high: 'major', major: 'major', severe: 'major', important: 'major',
  medium: 'minor', moderate: 'minor', minor: 'minor', low: 'minor', info: 'minor', trivial: 'minor',
};
const SEVERITY_ALT = Object.keys(SEVERITY_WORDS).join('|');
const LEADING_TAG = new RegExp(`^\\s*[[(]?\\s*(${SEVERITY_ALT})\\s*[\\])]?\\s*(?:[:\u2014\u2013-]\\s+|(?<=[\\])])\\s*)`, 'i');
const SEVERITY_FIELD = new RegExp(`\\bseverity\\s*[:=]?\\s*\\**\\s*(${SEVERITY_ALT})\\b`, 'i');
const SEVERITY_ONLY = new RegExp(`^\\s*[[(]?\\s*(${SEVERITY_ALT})\\s*[\\])]?\\s*:?\\s*$`, 'i');

/** A severity word as one of the three tiers. */
export function severityOf(word: string): Severity | null {
  return SEVERITY_WORDS[word.trim().toLowerCase()] ?? null;
}

/** Text of a subtree; inline code keeps its backticks so a cited path stays recognisable. */
function plain(node: Nodes): string {
  if (node.type === 'text') return node.value;
  if (node.type === 'inlineCode') return `\`${node.value}\``;
  if (node.type === 'code') return '';
  if (node.type === 'break') return ' ';
  if ('children' in node) {
    const sep = node.type === 'listItem' || node.type === 'list' || node.type === 'root' || node.type === 'tableRow' ? ' ' : '';
    return (node.children as Nodes[]).map(plain).join(sep);
  }
  return '';
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Paths as findings cite them: `src/a.ts`, `src/a.ts:12`, `lib/x.py#L4`, `Makefile` is too vague to count. */
const PATH = /^(?:\.\/)?((?:[\w@.+-]+\/)*[\w@+-][\w@.+-]*\.[A-Za-z0-9]{1,8})(?:(?::|#L)(\d+)(?:[-:]\d+)?)?$/;
const PATH_IN_TEXT = /(?:^|[\s(`'"])((?:\.\/)?(?:[\w@.+-]+\/)+[\w@+-][\w@.+-]*\.[A-Za-z0-9]{1,8})(?:(?::|#L)(\d+))?/;
const LINE_WORD = /\blines?\s+(\d+)/i;

function citedPath(candidate: string): { file: string; line: number | null } | null {
  const m = PATH.exec(candidate.trim());
  if (!m || /^\d+(\.\d+)+$/.test(m[1]) || /^https?:/i.test(candidate)) return null;
  return { file: m[1], line: m[2] ? Number(m[2]) : null };
}

/** Inline code and links of a subtree, in order: where a finding names its file. */
function citations(node: Nodes, out: string[] = []): string[] {
  if (node.type === 'inlineCode') out.push(node.value);
  else if (node.type === 'link' && !/^[a-z]+:/i.test(node.url)) out.push(node.url);
  if ('children' in node) for (const c of node.children as Nodes[]) citations(c, out);
  return out;
}

/** Strong or emphasised text that is nothing but a severity word (`**High**`, `*critical:*`). */
function emphasisedSeverity(node: Nodes): Severity | null {
  if ((node.type === 'strong' || node.type === 'emphasis') && SEVERITY_ONLY.test(plain(node))) return severityOf(SEVERITY_ONLY.exec(plain(node))![1]);
  if ('children' in node) {
    for (const c of node.children as Nodes[]) {
      const s = emphasisedSeverity(c);
      if (s) return s;
    }
  }
  return null;
}

/** One finding from one node's text and citations, or null when it says nothing (`None.`). */
function findingOf(node: Nodes, extraCitations: readonly string[] = []): RawFinding | null {
  let text = oneLine(plain(node));
  if (!text || EMPTY_ITEM.test(text.replace(/^[`*_[\]]+/, ''))) return null;
  let severity: Severity | null;
  const tag = LEADING_TAG.exec(text.replace(/^\*+|^_+/, ''));
  if (tag) {
    severity = severityOf(tag[1]);
    text = oneLine(text.replace(/^\*+|^_+/, '').slice(tag[0].length).replace(/^\*+\s*/, ''));
  } else {
    const field = SEVERITY_FIELD.exec(text);
    severity = field ? severityOf(field[1]) : emphasisedSeverity(node);
  }
  if (!text) return null;
  let file: string | null = null;
  let line: number | null = null;
  for (const c of [...extraCitations, ...citations(node)]) {
    const p = citedPath(c);
    if (p) { file = p.file; line = p.line; break; }
  }
  if (!file) {
    const m = PATH_IN_TEXT.exec(text);
    if (m) { file = m[1].replace(/^\.\//, ''); line = m[2] ? Number(m[2]) : null; }
  }
  if (file && line === null) {
    const w = LINE_WORD.exec(text);
    if (w) line = Number(w[1]);
  }
  if (line !== null && !(line >= 1 && line < 10_000_000)) line = null;
  // The file leads many findings (`` `src/a.ts` line 12: … ``); it is shown apart, so the text starts with what is wrong.
  const lead = /^`([^`]+)`(?:,?\s+lines?\s+\d+(?:[-\u2013]\d+)?)?\s*(?::|\u2014|\u2013|-)\s+(?=\S)/.exec(text);
  if (file && lead && citedPath(lead[1])?.file === file) text = text.slice(lead[0].length);
  return { text: text.length > MAX_FINDING_CHARS ? `${text.slice(0, MAX_FINDING_CHARS - 1)}…` : text, severity, file, line };
}

/** A list's items as findings: each item (nested lists included in its text) is one. */
function listFindings(list: List): RawFinding[] {
  return list.children.flatMap((item: ListItem) => {
    const f = findingOf(item);
    return f ? [f] : [];
  });
}

const HEADER = {
  severity: /sever|priority|impact|level|rating/i,
  file: /\b(file|path|location|where)\b/i,
  text: /finding|issue|problem|description|what|detail|action|concern|risk/i,
};

/** A GFM table's rows as findings, its columns told apart by their header cells. */
function tableFindings(table: Table): RawFinding[] {
  const [head, ...rows] = table.children;
  if (!head || rows.length === 0) return [];
  const names = head.children.map((c) => oneLine(plain(c)));
  const col = (re: RegExp): number => names.findIndex((n) => re.test(n));
  const sev = col(HEADER.severity);
  const file = col(HEADER.file);
  let text = col(HEADER.text);
  return rows.flatMap((row) => {
    const cells = row.children;
    if (text < 0) {
      // No column says what it holds: the longest cell is the finding.
      const lengths = cells.map((c, i) => (i === sev || i === file ? -1 : plain(c).length));
      text = lengths.indexOf(Math.max(...lengths));
    }
    const body = cells[text];
    if (!body) return [];
    const f = findingOf(body, file >= 0 && cells[file] ? [...citations(cells[file]), plain(cells[file]).trim()] : []);
    if (!f) return [];
    if (sev >= 0 && cells[sev]) {
      const word = /[A-Za-z]+/.exec(plain(cells[sev]))?.[0];
      const s = word ? severityOf(word) : null;
      if (s) f.severity = s;
    }
    return [f];
  });
}

const headingText = (h: Heading): string => oneLine(h.children.map((c) => plain(c)).join(''));
const isFindingsHeading = (h: Heading): boolean => {
  const t = headingText(h);
  return FINDINGS_HEADING.test(t) && !NOT_FINDINGS.test(t);
};

/** Every list item in a subtree that states a severity (the fallback for free-form files). */
function taggedItems(nodes: readonly RootContent[], out: RawFinding[] = []): RawFinding[] {
  for (const n of nodes) {
    if (n.type === 'list') {
      for (const item of n.children) {
        const f = findingOf(item);
        if (f?.severity) out.push(f);
      }
    } else if ('children' in n && n.type !== 'table') {
      taggedItems(n.children, out);
    }
  }
  return out;
}

/**
 * The findings one markdown file lists, in document order, duplicates (same text and file) once.
 * Lists and tables under findings-like headings (a heading's section ends at the next heading of
 * its level or above); a file without any such heading falls back to list items that state a
 * severity. Never throws: text that is not markdown at all is a paragraph, and yields nothing.
 */
export function extractFindings(markdown: string): RawFinding[] {
  let root: Root;
  try { root = parseMarkdown(markdown); } catch { return []; }
  const strong: RawFinding[] = [];
  const weak: RawFinding[] = [];
  let found = weak;
  let inside: number | null = null;
  let sawHeading = false;
  // A heading below a findings heading is a finding itself when prose follows it, a category when a list does.
  let pending: Heading | null = null;
  for (const node of root.children) {
    if (node.type === 'heading') {
      if (pending) { const f = findingOf(pending); if (f) found.push(f); }
      pending = null;
      if (inside !== null && node.depth <= inside) inside = null;
      if (isFindingsHeading(node)) {
        inside = node.depth; sawHeading = true;
        found = STRONG_HEADING.test(headingText(node)) ? strong : weak;
      } else if (inside !== null) pending = node;
      continue;
    }
    if (inside === null) continue;
    if (pending && node.type === 'paragraph') {
      const f = findingOf({ type: 'paragraph', children: [...pending.children, { type: 'text', value: ': ' }, ...node.children] });
      if (f) found.push(f);
      pending = null;
      continue;
    }
    pending = null;
    if (node.type === 'list') found.push(...listFindings(node));
    else if (node.type === 'table') found.push(...tableFindings(node));
  }
  if (pending) { const f = findingOf(pending); if (f) found.push(f); }
  const all = sawHeading ? (strong.length ? strong : weak) : taggedItems(root.children);
  const seen = new Set<string>();
  return all.filter((f) => {
    const key = `${f.file ?? ''}\n${f.text.toLowerCase()}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
