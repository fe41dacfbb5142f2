import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Writes `content` at `rel` inside `root`, making the folders on the way (test workspaces). */
export async function putFile(root: string, rel: string, content: string): Promise<void> {
  const abs = path.join(root, rel);
  await fs.mkdir(path.dirname(abs), { recursive: true });
  await fs.writeFile(abs, content);
}
