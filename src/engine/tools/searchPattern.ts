/**
 * The `search` tool's pattern, matched line by line: a literal (`indexOf`), or a model-supplied
 * regular expression on re2js, a linear-time engine in plain JavaScript (no native module to ship
 * in a VS Code extension). JavaScript's own `RegExp` backtracks: `^(a+)+$` against one 31-byte line
 * held the process, and so the whole extension host, for a minute, beyond the reach of every timer,
 * cancel and agent timeout. RE2 has no backreferences or lookaround; those are what make
 * backtracking necessary, and a pattern using them gets a tool error that says so.
 */
import { RE2JS } from 're2js';
import { ToolFailure } from './schema';

/** The longest regular expression `search` compiles, in characters (the tool's description says it too). */
export const MAX_REGEX_CHARS = 1_000;

/**
 * Lines up to this long need no position: the excerpt shows them whole. Longer ones are located
 * by the search in `locate`.
 */
const WHOLE_LINE_CHARS = 300;
/** The smallest prefix `locate` tries; below it the excerpt starts at the line's start anyway. */
const FIRST_PREFIX_CHARS = 256;
/** How close `locate` narrows the end of the first match. */
const LOCATE_PRECISION_CHARS = 64;
/** `locate` returns this far before the first match's end, so the excerpt shows the match and what leads to it. */
const LEAD_CHARS = 150;

/** A compiled `search` pattern. */
export interface LineMatcher {
  /** True when the line holds a match. */
  test(line: string): boolean;
  /**
   * About where the first match in `line` is, for the excerpt (the line must be one `test`
   * accepted). `pause` is awaited between passes over a long line, so the event loop gets turns.
   */
  locate(line: string, pause: () => Promise<void>): Promise<number>;
}

/** A literal pattern: case-sensitive `indexOf`, the fast path for the common search. */
export function literalMatcher(needle: string): LineMatcher {
  return {
    test: (line) => line.includes(needle),
    locate: (line) => Promise.resolve(line.indexOf(needle)),
  };
}

/**
 * A regular expression in JavaScript syntax (named groups and `\u{…}` are translated), compiled
 * for RE2. Throws a `ToolFailure` that says what is wrong: too long, a feature RE2 lacks, or a
 * syntax error with RE2's own words.
 */
export function regexMatcher(pattern: string): LineMatcher {
  if (pattern.length > MAX_REGEX_CHARS) {
    throw new ToolFailure(
      `regex is ${pattern.length} characters; at most ${MAX_REGEX_CHARS} are allowed. Search for a shorter, distinctive part of the text, or set regex to false for a literal search`,
    );
  }
  // Checked first: the translation turns `\k<name>` into the letter k rather than failing.
  const unsupported = unsupportedFeature(pattern);
  if (unsupported !== null) throw new ToolFailure(unsupported);
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(pattern));
  } catch (err) {
    throw new ToolFailure(`invalid regex ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
  return { test: (line) => re.test(line), locate: (line, pause) => locate(re, line, pause) };
}

/** What RE2 cannot do that the pattern uses, said so the model can rewrite it; null when none. */
function unsupportedFeature(pattern: string): string | null {
  // Outside character classes, and not an escaped backslash followed by a digit.
  const bare = pattern.replace(/\\./g, (m) => (/^\\[1-9k]$/.test(m) ? m : '__')).replace(/\[(?:\\.|[^\]\\])*\]/g, '__');
  if (/\(\?<?[=!]/.test(bare)) {
    return `regex ${JSON.stringify(pattern)} uses lookahead or lookbehind ((?=…), (?!…), (?<=…), (?<!…)), which search does not support: it runs on RE2, a linear-time engine. Match the surrounding text instead, or search twice`;
  }
  if (/\\[1-9]|\\k</.test(bare)) {
    return `regex ${JSON.stringify(pattern)} uses a backreference (\\1, \\k<name>), which search does not support: it runs on RE2, a linear-time engine. Spell the repeated text out, or search for one part`;
  }
  return null;
}

/**
 * The end of the first match, less `LEAD_CHARS`: the shortest prefix of the line that holds a match,
 * found by doubling then halving, each step one linear-time `test` of a prefix. Positions come from
 * RE2's DFA this way; asking its matcher for them runs the NFA, which took 15 s on one 1 MB line.
 * Assertions at a prefix's end (`$`, `\b`) may see a match a little early: the result places an
 * excerpt, nothing more.
 */
async function locate(re: RE2JS, line: string, pause: () => Promise<void>): Promise<number> {
  if (line.length <= WHOLE_LINE_CHARS) return 0;
  let lo = 0;
  let hi = FIRST_PREFIX_CHARS;
  while (hi < line.length && !re.test(line.slice(0, hi))) {
    lo = hi;
    hi *= 2;
    await pause();
  }
  hi = Math.min(hi, line.length);
  while (hi - lo > LOCATE_PRECISION_CHARS) {
    const mid = (lo + hi) >>> 1;
    if (re.test(line.slice(0, mid))) hi = mid;
    else lo = mid;
    await pause();
  }
  return Math.max(0, hi - LEAD_CHARS);
}
