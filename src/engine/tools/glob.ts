/**
 * Glob patterns compiled to a test plus the literal folder a walk can start from, for the `glob`
 * parameter of `list_files` and `search`.
 */

/** Thrown for a glob that cannot be compiled; the tools turn it into an isError result. */
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
 * `**`, `*`, `?` and `{a,b}` (nestable). A glob without '/' matches the name at any depth (like
 * ripgrep's -g), otherwise the path relative to the walk's base.
 */
export function compileGlob(raw: string): CompiledGlob {
  const glob = raw.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*') {
      if (glob.charAt(i + 1) === '*') {
        const atSegmentStart = i === 0 || glob.charAt(i - 1) === '/';
        if (atSegmentStart && glob.charAt(i + 2) === '/') {
          re += '(?:[^/]*/)*';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += c.replace(/[.+^$()|[\]\\{}]/g, '\\$&');
  }
  if (braces > 0) throw new GlobError(`glob "${raw}" has an unclosed "{"`);
  if (glob.split('/').includes('..')) throw new GlobError(`glob "${raw}" may not contain ".."; use path instead`);
  const regex = new RegExp(`^${re}$`);
  if (!glob.includes('/')) {
    return { test: (rel) => regex.test(rel.slice(rel.lastIndexOf('/') + 1)), prefix: '', depth: Infinity };
  }
  const segments = glob.split('/');
  const literal: string[] = [];
  for (const seg of segments.slice(0, -1)) {
    if (/[*?{}]/.test(seg)) break;
    literal.push(seg);
  }
  const unbounded = glob.includes('**') || /\{[^}]*\//.test(glob);
  return { test: (rel) => regex.test(rel), prefix: literal.join('/'), depth: unbounded ? Infinity : segments.length - literal.length };
}
