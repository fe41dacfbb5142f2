/**
 * The one redaction: every text the product writes or prints, and every file excerpt it sends to a
 * model, goes through `redact`. What it removes: whatever secretlint's recommended preset finds
 * (rules.ts), and the literal secrets this process holds (the API key; `addSecrets`).
 *
 * Literal secrets are process-wide, as a CI runner's masks are: the key the host holds must be
 * withheld from a check log, a CLI line and a transcript alike, and those writers share no object.
 * The set only grows; a secret shorter than MIN_LITERAL is not kept (it would match ordinary text).
 *
 * A removed secret becomes `[redacted:<rule>]` (`[redacted:secret]` for a literal), which no rule
 * matches, so redacting twice changes nothing and counts nothing.
 */
import { scanSecrets, type Finding } from './rules';

/** Literal secrets shorter than this are not redacted. */
export const MIN_LITERAL = 8;

/**
 * No rule of the preset matches fewer characters than this (the shortest, a Slack token, needs 8;
 * an AWS key id 20), nor is a literal secret kept shorter: shorter texts (ids, statuses, times in
 * a transcript entry) are not scanned.
 */
const MIN_SCAN = 8;

const literals = new Set<string>();

/**
 * Short texts found clean, the oldest forgotten first: model ids, stop reasons, tool names and statuses
 * recur thousands of times in a large run, and a scan costs some 20 microseconds however short the
 * text. A clean text stays clean for the same rules; a new literal secret clears the memory.
 */
const clean = new Set<string>();
const CLEAN_MAX_CHARS = 256;
const CLEAN_ENTRIES = 1_000;

function isKnownClean(text: string): boolean {
  return text.length <= CLEAN_MAX_CHARS && clean.has(text);
}

function rememberClean(text: string): void {
  if (text.length > CLEAN_MAX_CHARS) return;
  if (clean.size >= CLEAN_ENTRIES) clean.delete(clean.values().next().value!);
  clean.add(text);
}
/** Longest first, so a secret that contains another is replaced whole. */
let ordered: string[] = [];

/** The marker a redacted secret leaves, naming the rule that found it. */
export function marker(rule: string): string {
  return `[redacted:${rule}]`;
}

/**
 * Adds literal values to withhold everywhere from now on (the API key the host holds). Empty,
 * missing and short values are ignored.
 */
export function addSecrets(values: Iterable<string | null | undefined>): void {
  let added = false;
  for (const v of values) {
    const s = v?.trim();
    if (!s || s.length < MIN_LITERAL || literals.has(s)) continue;
    literals.add(s);
    added = true;
  }
  if (added) {
    ordered = [...literals].sort((a, b) => b.length - a.length);
    clean.clear();
  }
}

export interface Redacted {
  text: string;
  /** How many secrets were withheld. */
  count: number;
}

/**
 * `text` with every secret replaced by its marker, and how many there were. Literal secrets go
 * first (they need not look like anything), then the preset's rules over what is left.
 */
export function redact(text: string): Redacted {
  if (text.length < MIN_SCAN || isKnownClean(text)) return { text, count: 0 };
  let out = text;
  let count = 0;
  for (const s of ordered) {
    if (!out.includes(s)) continue;
    const parts = out.split(s);
    count += parts.length - 1;
    out = parts.join(marker('secret'));
  }
  const found = merge(scanSecrets(out));
  if (found.length === 0) {
    if (count === 0) rememberClean(text);
    return { text: out, count };
  }
  let result = '';
  let at = 0;
  for (const f of found) {
    result += out.slice(at, f.start) + marker(f.rule);
    at = f.end;
  }
  return { text: result + out.slice(at), count: count + found.length };
}

/** `redact(text).text`. */
export function redactText(text: string): string {
  return redact(text).text;
}

/** Overlapping or touching spans as one (the first rule's name kept), sorted by start. */
function merge(found: Finding[]): Finding[] {
  if (found.length < 2) return found;
  const sorted = [...found].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Finding[] = [{ ...sorted[0] }];
  for (const f of sorted.slice(1)) {
    const last = out[out.length - 1];
    if (f.start <= last.end) last.end = Math.max(last.end, f.end);
    else out.push({ ...f });
  }
  return out;
}

/**
 * `redact` over every string inside a JSON-like value (object keys included), on a copy; the
 * value itself when nothing was withheld. Strings are scanned as they were written, not as JSON
 * would escape them (an escaped quote hides an AWS secret key from its rule). All of a value's
 * strings are scanned first as one text, one per line, so the common case (nothing to withhold)
 * costs one scan instead of one per string. A line break is a boundary to every rule, as a
 * string's start and end are, so a secret in one string is found in that text too; any finding
 * there (even one across two strings) sends the value through the string-by-string pass.
 */
export function redactDeep<T>(value: T): { value: T; count: number } {
  const strings: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === 'string') { if (v.length >= MIN_SCAN) strings.push(v); return; }
    if (Array.isArray(v)) { for (const x of v) collect(x); return; }
    if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) { collect(k); collect(x); }
  };
  collect(value);
  if (strings.length === 0) return { value, count: 0 };
  const all = strings.join('\n');
  if (isKnownClean(all)) return { value, count: 0 };
  if (!ordered.some((s) => all.includes(s)) && scanSecrets(all).length === 0) {
    rememberClean(all);
    return { value, count: 0 };
  }
  let count = 0;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const r = redact(v);
      count += r.count;
      return r.text;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [walk(k), walk(x)]));
    return v;
  };
  const copy = walk(value) as T;
  return count === 0 ? { value, count } : { value: copy, count };
}
