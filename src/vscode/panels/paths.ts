/** Path checks for anything the webview or a tree node asks the host to open. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isInside } from '../../engine';

const inside = (parent: string, child: string): boolean => isInside(parent, child, { strict: true });

/**
 * Resolves `rel` inside `runDir`, or returns null when it would leave it: `..`, absolute paths,
 * and symlinks whose target is outside the run are all refused. A missing file resolves (the
 * caller reports it) as long as its lexical path is inside.
 */
export async function resolveInsideRun(runDir: string, rel: string): Promise<string | null> {
  if (!rel || path.isAbsolute(rel) || /^[a-zA-Z]:/.test(rel) || rel.includes('\0')) return null;
  const root = path.resolve(runDir);
  const target = path.resolve(root, rel);
  if (!inside(root, target)) return null;
  try {
    const [realRoot, realTarget] = await Promise.all([fs.realpath(root), fs.realpath(target)]);
    return inside(realRoot, realTarget) ? target : null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? target : null;
  }
}
