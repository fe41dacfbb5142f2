/**
 * What never reaches a transcript: an Anthropic API key (or anything shaped like one, wherever it
 * appears: a file an agent read, the model's own text, an error message), a few other well-known
 * credential shapes, private key blocks, and the literal secrets the host names (the key it holds).
 */

const REDACTED = '[redacted]';

/** Credential shapes, each replaced whole. */
const PATTERNS: readonly RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]{4,}/g,
  /\b(?:sk|rk)-(?:proj-)?[A-Za-z0-9_-]{20,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{30,}/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  // A private key block, or its start when an excerpt cut it before the end.
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
];

/** A quick pre-check, so text without any of the shapes costs one scan. */
const MAYBE = /sk-|rk-|AKIA|gh[pousr]_|github_pat_|xox[abprs]-|PRIVATE KEY/;

/** Literal secrets shorter than this are not redacted (they would match ordinary text). */
const MIN_LITERAL = 8;

/** True when the text may hold something `redactText` would change (a cheap check before the work). */
export function mayNeedRedaction(text: string, secrets: readonly string[] = []): boolean {
  return MAYBE.test(text) || secrets.some((s) => s.length >= MIN_LITERAL && text.includes(s));
}

export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= MIN_LITERAL && out.includes(s)) out = out.split(s).join(REDACTED);
  if (!MAYBE.test(out)) return out;
  for (const re of PATTERNS) out = out.replace(re, (m) => (m.startsWith('sk-ant-') ? `sk-ant-${REDACTED}` : REDACTED));
  return out;
}

/** `redactText` over every string inside a JSON-like value (object keys included), on a copy. */
export function redactDeep(value: unknown, secrets: readonly string[] = []): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactText(k, secrets), redactDeep(v, secrets)]));
  }
  return value;
}
