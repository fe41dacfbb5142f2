/**
 * Reading a folder of text files that an untrusted workspace (or the user's home) supplies: agent
 * definitions, workflow files. A folder or file that is a symlink leading out of where it belongs
 * is refused, files are capped in number and size, and each problem is an error beside the
 * others, never in their place.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isInside } from '../paths';

/** A file or folder that could not be read, placed like a parse error (line 1, column 1). */
export interface FolderError {
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface FolderBounds {
  /** Which names are read (`.md`, `.yaml`); dot files never are. */
  accepts: (name: string) => boolean;
  /** Files read at most (sorted by name; the rest are reported). */
  maxFiles: number;
  /** What the files are, for messages: "definitions", "workflow files". */
  what: string;
  /** What the folder is, for messages: "agents folder". */
  folder: string;
}

/** A file to read: the path as the user knows it, and the real folder it must stay in. */
export interface FolderFile {
  abs: string;
  realDir: string;
  /** What the folder is, for messages. */
  folder: string;
}

/**
 * The accepted files of a folder, sorted, or null when there is no folder. The folder's real path
 * must stay inside `within` (a `.claude` symlinked to elsewhere on the machine is not the
 * workspace's); each file is checked against the folder's real path when it is read.
 */
export async function listUntrustedFolder(dir: string, within: string, bounds: FolderBounds, errors: FolderError[]): Promise<FolderFile[] | null> {
  let realDir: string;
  try {
    realDir = await fs.realpath(dir);
  } catch {
    return null;
  }
  const realWithin = await fs.realpath(within).catch(() => within);
  if (!isInside(realWithin, realDir)) {
    errors.push({ file: dir, line: 1, column: 1, message: `expected a folder inside ${within}; found a link to ${realDir}, which is not read` });
    return null;
  }
  let names: string[];
  try {
    names = (await fs.readdir(realDir)).filter((n) => bounds.accepts(n) && !n.startsWith('.')).sort();
  } catch (err) {
    errors.push({ file: dir, line: 1, column: 1, message: `the folder could not be read: ${err instanceof Error ? err.message : String(err)}` });
    return null;
  }
  if (names.length > bounds.maxFiles) {
    errors.push({ file: dir, line: 1, column: 1, message: `expected at most ${bounds.maxFiles} ${bounds.what} in one folder; found ${names.length}, so ${names.length - bounds.maxFiles} after ${names[bounds.maxFiles - 1]} are not read` });
    names = names.slice(0, bounds.maxFiles);
  }
  return names.map((n) => ({ abs: path.join(dir, n), realDir, folder: bounds.folder }));
}

/**
 * One file's text, or null (with an error) when it leaves its folder, is not a file, is bigger
 * than `maxBytes` or is binary. The size is checked on the open handle, so a file swapped for a
 * bigger one between the check and the read is still read only up to its checked size.
 */
export async function readUntrustedFile(file: FolderFile, maxBytes: number, errors: FolderError[]): Promise<string | null> {
  const fail = (message: string): null => { errors.push({ file: file.abs, line: 1, column: 1, message }); return null; };
  let real: string;
  try {
    real = await fs.realpath(file.abs);
  } catch {
    return fail('expected a file; found a broken link');
  }
  if (!isInside(file.realDir, real)) return fail(`expected a file inside its ${file.folder}; found a link to ${real}, which is not read`);
  const handle = await fs.open(real, 'r').catch(() => null);
  if (!handle) return fail('the file could not be opened');
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return fail('expected a file; found something else');
    if (stat.size > maxBytes) return fail(`expected at most ${maxBytes / 1024} KiB; found ${Math.ceil(stat.size / 1024)} KiB`);
    const buf = Buffer.alloc(stat.size);
    const { bytesRead } = await handle.read(buf, 0, stat.size, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    if (text.includes('\u0000')) return fail('expected a text file; found binary content');
    return text;
  } finally {
    await handle.close();
  }
}
