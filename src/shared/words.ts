/**
 * Counted words, one way everywhere: "1 gap", "2 gaps", "1,000 agents". The engine's texts, the CLI,
 * the extension and the webviews all import this, so no front end prints "1 gap(s)".
 * Intl.PluralRules picks the English form (it also knows 1.5 is "other"); the plural spelling is given
 * where English adds more than an "s" ("entry" → "entries").
 */
const rules = new Intl.PluralRules('en-US');
const numbers = new Intl.NumberFormat('en-US');

/** `n` and the word in the form that fits it: plural(3, 'file') → "3 files". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${numbers.format(n)} ${noun(n, one, many)}`;
}

/** The word alone in the form that fits `n`: noun(1, 'gap') → "gap". */
export function noun(n: number, one: string, many = `${one}s`): string {
  return rules.select(n) === 'one' ? one : many;
}

/**
 * Who started a run, from the ledger's `startedBy` ("mcp:claude-code"), as the views mark it:
 * "via claude-code (MCP)". The client names itself, so the name is cut to a sane length.
 */
export function startedVia(startedBy: string): string {
  const m = /^mcp:(.*)$/s.exec(startedBy);
  const who = (m ? m[1] : startedBy).replace(/\s+/g, ' ').trim() || 'an unnamed client';
  const short = who.length > 40 ? `${who.slice(0, 39)}…` : who;
  return m ? `via ${short} (MCP)` : `via ${short}`;
}
