import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SENTINEL } from './types';

let tempCounter = 0;

/**
 * A temp file's name beside `file`, for write + rename. It only has to be unique among this
 * process's writes (the pid tells processes apart): a counter, cheaper than random bytes.
 */
export function tempPathFor(file: string): string {
  return `${file}.${process.pid}.${++tempCounter}.tmp`;
}

/** Writes via a temp file in the same folder + rename, so a crash never leaves half a file. */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  try {
    await fs.writeFile(tmp, data, 'utf8');
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** Synchronous underneath: the files read here are reports of a few KB, not worth a thread-pool round trip each. */
export async function readTextOrNull(file: string): Promise<string | null> {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** True when the text's last non-blank line is exactly the sentinel. */
export function endsWithSentinel(text: string | null): boolean {
  if (text === null) return false;
  return text.trimEnd().split('\n').pop()?.trim() === SENTINEL;
}

export async function fileEndsWithSentinel(file: string): Promise<boolean> {
  return endsWithSentinel(await readTextOrNull(file));
}
