/**
 * The one answer to "is this path inside that folder?", for the engine, the CLI, the simulator and
 * the VS Code glue alike. Checking `path.relative(...)` with `startsWith('..')` treats a folder
 * named `..foo` as outside; these helpers look at whole path segments instead.
 */
import * as path from 'node:path';

/** True for a relative path that climbs out of its base: `..` or `../x` (either separator), not `..foo`. */
export function climbsOut(rel: string): boolean {
  return rel === '..' || rel.startsWith('../') || rel.startsWith(`..${path.sep}`);
}

/**
 * `abs` relative to `root` in posix form ('' for the root itself), or null when it is not inside.
 * Both are resolved first, so trailing separators and `.` segments do not matter.
 */
export function relativeInside(root: string, abs: string): string | null {
  const rel = path.relative(path.resolve(root), path.resolve(abs));
  if (rel === '') return '';
  if (climbsOut(rel) || path.isAbsolute(rel)) return null;
  return rel.split(path.sep).join('/');
}

/** True when `abs` is `root` itself or below it; `strict` leaves the root itself out. */
export function isInside(root: string, abs: string, opts: { strict?: boolean } = {}): boolean {
  const rel = relativeInside(root, abs);
  return rel !== null && !(opts.strict === true && rel === '');
}
