/**
 * The `glob` parameter of `list_files` and `search`: a picomatch matcher plus the literal folder a
 * walk can start from and how deep it must go.
 */
import picomatch from 'picomatch';

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
  const matcher = picomatch(glob, { dot: true, basename: !glob.includes('/') });
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
