/**
 * secretlint's recommended preset (@secretlint/secretlint-rule-preset-recommend), run synchronously
 * over a string. The preset is the maintained rule set (AWS, GCP, private keys, npm, basic auth,
 * Slack, SendGrid, Shopify, GitHub, OpenAI, Anthropic, Linear, 1Password, database connection
 * strings); this file only drives it.
 *
 * Why not `@secretlint/core`'s `lintSource`: it is async, and the texts we redact are written from
 * synchronous places (a ledger event, a CLI line, a tool result) many times a second; it also obeys
 * `secretlint-disable` comments, which in an untrusted repository would let the repository switch
 * redaction off. The preset's scanners are plain synchronous functions over `source.content` that
 * call `context.report({ range, message })`; we give them that context and collect what they report.
 * A unit test checks that every finding `lintSource` reports on a corpus is found here too.
 *
 * Invariants: no file path is ever given to a rule (the GCP rule would read a `.p12` from disk);
 * a rule that answers with a promise is a rule this adapter cannot run, and throws in the tests.
 */
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';

type Preset = typeof recommended;
type PresetContext = Parameters<Preset['create']>[0];
type RuleCreator = Parameters<PresetContext['registerRule']>[0];
type RuleContext = Parameters<RuleCreator['create']>[0];
type Handler = ReturnType<RuleCreator['create']>;
type Source = Parameters<NonNullable<Handler['file']>>[0];

/** One secret a rule found: where it is in the text, and which rule (short name, e.g. `aws`). */
export interface Finding {
  start: number;
  end: number;
  rule: string;
}

/**
 * Options per rule (short name). The AWS rule reports access key ids (`AKIA…`) only when asked:
 * secretlint leaves them out by default as identifiers, but beside a secret they are what an
 * attacker needs first, and they have no business in a model's context or a shared log.
 */
const RULE_OPTIONS: Readonly<Record<string, object>> = { aws: { enableIDScanRule: true } };

/** `secretlint-disable` comments are the repository's to give, not ours to obey: that rule is left out. */
const SKIPPED = new Set(['filter-comments']);

const shortName = (id: string): string => id.replace(/^@secretlint\/secretlint-rule-/, '');

interface Scanner { rule: string; handler: Handler }

let scanners: Scanner[] | null = null;
/** Where the running scan collects findings (scans are synchronous, so one at a time). */
let sink: { content: string; rule: string; out: Finding[] } | null = null;

/** The message a rule reports, with its data: the values are the secret as the rule matched it. */
type Reported = { data?: Record<string, unknown> };

function report(range: readonly [number, number], message: Reported): void {
  if (!sink) return;
  const { content, rule, out } = sink;
  // Some rules report the start of the whole match with the length of the secret's group (the AWS
  // secret key after `aws_secret_access_key =`, an npm token after `_authToken=`), so the range can
  // miss the secret's tail. The message data holds the secret itself: where it occurs at or after
  // the range's start, and starts inside the range, its span is the one taken.
  const spans: Array<[number, number]> = [];
  for (const v of Object.values(message.data ?? {})) {
    if (typeof v !== 'string' || v.length === 0) continue;
    const at = content.indexOf(v, range[0]);
    if (at >= 0 && at <= range[1]) spans.push([at, at + v.length]);
  }
  if (spans.length === 0) spans.push([range[0], range[1]]);
  for (const [start, end] of spans) if (end > start) out.push({ start, end, rule });
}

function load(): Scanner[] {
  const rules: RuleCreator[] = [];
  const presetContext = { registerRule: (rule: RuleCreator) => { rules.push(rule); } } as unknown as PresetContext;
  recommended.create(presetContext, {});
  const context = {
    sharedOptions: {},
    // The message is only read for its data (see report); no text is translated.
    createTranslator: () => (messageId: string, data?: Record<string, unknown>) => ({ message: messageId, messageId, data }),
    report: (d: { range: readonly [number, number]; message: Reported }) => report(d.range, d.message),
    ignore: () => undefined,
  } as unknown as RuleContext;
  return rules
    .filter((r) => r.meta.type === 'scanner' && !SKIPPED.has(shortName(r.meta.id)))
    .filter((r) => r.meta.supportedContentTypes.some((t) => t === 'text' || t === 'all'))
    .map((r) => {
      const rule = shortName(r.meta.id);
      return { rule, handler: r.create(context, RULE_OPTIONS[rule] ?? {}) };
    });
}

/** The rule names the preset runs here (for the docs and tests). */
export function ruleNames(): string[] {
  scanners ??= load();
  return scanners.map((s) => s.rule);
}

/**
 * Every secret the preset's rules find in `content`, in no particular order (spans may overlap).
 * Throws when a rule answers asynchronously: its findings would arrive after the text was written.
 */
export function scanSecrets(content: string): Finding[] {
  scanners ??= load();
  const out: Finding[] = [];
  const source = { content, filePath: undefined, ext: '', contentType: 'text' } as unknown as Source;
  try {
    for (const s of scanners) {
      sink = { content, rule: s.rule, out };
      const r: unknown = s.handler.file?.(source);
      if (r instanceof Promise) {
        r.catch(() => undefined);
        throw new Error(`secretlint rule ${s.rule} answered asynchronously; the redaction needs every rule to be synchronous`);
      }
    }
  } finally {
    sink = null;
  }
  return out;
}
