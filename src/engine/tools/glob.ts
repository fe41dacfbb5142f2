/**
 * The `glob` parameter of `list_files` and `search`: a picomatch matcher plus the literal folder a
 * walk can start from and how deep it must go; and `globTester`, how every glob that comes from a
 * model, a workspace or a setting is matched.
 *
 * picomatch turns a glob into a JavaScript regular expression, which backtracks: the model's glob
 * `*a*a*a*a*a*a*a*a*b` took 5.6 s to test one 41-character file name, and each more `*a` multiplies
 * that. So picomatch parses the glob and re2js, a linear-time engine, runs the expression it made.
 */
import picomatch from 'picomatch';
import { RE2JS } from 're2js';

/** Thrown for a glob that cannot be used; the tools turn it into an isError result. */
export class GlobError extends Error {}

/** A compiled glob: `test` takes a path relative to the walk's base, posix separators. */
export interface CompiledGlob {
  test(rel: string): boolean;
  /** Literal leading folders, so the walk can start there; '' when none. */
  prefix: string;
  /** Levels below `prefix` the glob can reach. */
  depth: number;
}

/**
 * picomatch syntax (`**`, `*`, `?`, `[…]`, `{a,b}`), dot files included. A glob without '/'
 * matches the name at any depth (like ripgrep's -g), otherwise the path relative to the walk's base.
 */
export function compileGlob(raw: string): CompiledGlob {
  const glob = raw.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  if (glob.split('/').includes('..')) throw new GlobError(`glob "${raw}" may not contain ".."; use path instead`);
  if (glob.startsWith('/')) throw new GlobError(`glob "${raw}" must be relative, e.g. "src/**/*.ts"`);
  if (unbalancedBraces(glob)) throw new GlobError(`glob "${raw}" has an unclosed "{"`);
  const matcher = globTester(glob, { source: `glob "${raw}"`, anyDepth: true });
  if (!glob.includes('/')) return { test: matcher, prefix: '', depth: Infinity };
  const { base, glob: rest } = picomatch.scan(glob);
  // A glob without wildcards names one path: walk its folder, one level deep.
  if (rest === '') return { test: matcher, prefix: glob.includes('/') ? glob.slice(0, glob.lastIndexOf('/')) : '', depth: 1 };
  const below = base ? rest : glob;
  const unbounded = below.includes('**') || /\{[^}]*\//.test(below);
  return { test: matcher, prefix: base, depth: unbounded ? Infinity : below.split('/').length };
}

function unbalancedBraces(glob: string): boolean {
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}' && depth > 0) depth--;
  }
  return depth > 0;
}

/** The longest glob `globTester` compiles, in characters. */
export const MAX_GLOB_CHARS = 1_000;

/**
 * The lookarounds picomatch writes (without extglobs, which are off) to keep `*` and `**` from
 * matching a `.` or `..` segment, or nothing. The paths tested here are normalised and
 * workspace-relative, with no such segments, so dropping them changes no answer; RE2 has no
 * lookaround.
 */
const DOT_GUARDS = ['(?!(?:^|\\/)\\.{1,2}(?:\\/|$))', '(?!\\.{1,2}(?:\\/|$))', '(?=.)'];

/** How `globTester` reads a glob. */
export interface GlobTesterOptions {
  /** What the glob is, for errors: `glob "x"`, `the secretFiles glob "x"`. */
  source: string;
  nocase?: boolean;
  /** A glob without "/" also matches the last name of a path at any depth (like ripgrep's -g). */
  anyDepth?: boolean;
}

/**
 * A glob as a test of workspace-relative posix paths, in linear time: picomatch syntax (`**`, `*`,
 * `?`, `[…]`, `{a,b}`; no extglobs), dot files included. Throws a `GlobError` naming `source` when
 * the glob is too long or cannot be compiled.
 */
export function globTester(glob: string, opts: GlobTesterOptions): (rel: string) => boolean {
  if (glob.length > MAX_GLOB_CHARS) throw new GlobError(`${opts.source} is ${glob.length} characters; at most ${MAX_GLOB_CHARS} are allowed`);
  let source = picomatch.makeRe(glob, { dot: true, noextglob: true, nocase: opts.nocase === true }).source;
  for (const guard of DOT_GUARDS) source = source.split(guard).join('');
  let re: RE2JS;
  try {
    re = RE2JS.compile(source, opts.nocase === true ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    throw new GlobError(`${opts.source} cannot be used: ${(err as Error).message}`, { cause: err });
  }
  if (opts.anyDepth !== true || glob.includes('/')) return (rel) => re.test(rel);
  return (rel) => {
    if (re.test(rel)) return true;
    const slash = rel.lastIndexOf('/');
    return slash >= 0 && re.test(rel.slice(slash + 1));
  };
}

/** Why `globTester` would refuse a glob, or null; for config validation. */
export function globProblem(glob: string): string | null {
  try {
    globTester(glob, { source: 'glob' });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
