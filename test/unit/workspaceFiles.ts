import { mkdirSync, mkdtempSync, promises as fs, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Writes `content` at `rel` inside `root`, making the folders on the way (test workspaces). */
export async function putFile(root: string, rel: string, content: string): Promise<void> {
  const abs = path.join(root, rel);
  await fs.mkdir(path.dirname(abs), { recursive: true });
  await fs.writeFile(abs, content);
}

/** {@link putFile} for tests that build a workspace before anything async: returns the file's absolute path. */
export function putFileSync(root: string, rel: string, content: string): string {
  const abs = path.join(root, rel);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, content);
  return abs;
}

/** Fresh temporary folders, all removed by `cleanup` (an `afterAll`). */
export function scratchFolders(): { scratch: (prefix: string) => string; cleanup: () => void } {
  const dirs: string[] = [];
  return {
    scratch: (prefix) => { const d = mkdtempSync(path.join(os.tmpdir(), prefix)); dirs.push(d); return d; },
    cleanup: () => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); },
  };
}
