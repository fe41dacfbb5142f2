/**
 * `<outputRoot>/memory.md`: the lessons the user accepted, plain markdown they may edit (DESIGN §3).
 * It lives in the workspace, so it is untrusted input like every file there: read bounded (only
 * its end when it is large, since new entries are appended there), never through a symlink, and
 * handed to models as text only. Entries are top-level list items (or paragraphs a user wrote);
 * file order is age order, oldest first, because accepting appends.
 */
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkedOutputRoot } from '../ledger/runs';

export const MEMORY_FILE = 'memory.md';
/** Most bytes of memory.md read: its last this many (the newest entries). */
export const MEMORY_MAX_BYTES = 256 * 1024;
/** One entry is cut at this many characters, so one pasted log cannot crowd out every other lesson. */
export const ENTRY_MAX_CHARS = 1_000;
/** Most entries kept of one file (the newest). */
const MAX_ENTRIES = 2_000;

const HEADER = [
  '# Lessons from earlier runs', '',
  '<!-- Orchestration appends the lessons you accept after a build here, one list item each, oldest first.',
  '     Edit or delete them freely. Planners and builders of later runs read this file, newest entries first',
  '     when it is longer than the setting memoryTokens allows. -->', '', '',
].join('\n');

export interface MemoryRead {
  /** Entries as plain single-line text, oldest first. */
  entries: string[];
  /** What was not read, and why (too large, binary, a symlink): the run says so. */
  notes: string[];
}

/** The memory file's absolute path, once the output root is known to stay inside the workspace. */
export async function memoryPath(workspace: string, outputRoot: string): Promise<string> {
  return path.join(await checkedOutputRoot(workspace, outputRoot), MEMORY_FILE);
}

const NOFOLLOW = process.platform === 'win32' ? 0 : constants.O_NOFOLLOW;

/**
 * Reads memory.md: no file is no memory. A symlink is refused (it could point at any file of the
 * machine), a binary file is left out, and a file over MEMORY_MAX_BYTES is read from its end.
 */
export async function readMemory(workspace: string, outputRoot: string): Promise<MemoryRead> {
  const file = await memoryPath(workspace, outputRoot);
  const shown = path.posix.join(outputRoot.split(path.sep).join('/'), MEMORY_FILE);
  let st;
  try {
    st = await fs.lstat(file);
  } catch {
    return { entries: [], notes: [] };
  }
  if (st.isSymbolicLink()) return { entries: [], notes: [`${shown} is a symlink; it was not read (memory is read only from a plain file)`] };
  if (!st.isFile()) return { entries: [], notes: [`${shown} is not a file; it was not read`] };
  const notes: string[] = [];
  const start = Math.max(0, st.size - MEMORY_MAX_BYTES);
  let buf: Buffer;
  const fh = await fs.open(file, constants.O_RDONLY | NOFOLLOW);
  try {
    buf = Buffer.alloc(Math.min(st.size, MEMORY_MAX_BYTES));
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    buf = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (buf.includes(0)) return { entries: [], notes: [`${shown} holds binary data (NUL bytes); it was left out`] };
  let text = buf.toString('utf8');
  if (start > 0) {
    // The cut may fall inside an entry: drop text up to the first entry that starts whole.
    const next = text.search(/\n(?=[-*+] |\d{1,9}[.)] )/);
    text = next < 0 ? '' : text.slice(next + 1);
    notes.push(`${shown} is ${Math.round(st.size / 1024)} KB; only its last ${MEMORY_MAX_BYTES / 1024} KB were read`);
  }
  return { entries: parseMemory(text), notes };
}

/**
 * The entries of memory.md's text, oldest first: each top-level list item with its continuation
 * lines, and each other paragraph; headings and HTML comments are not entries. Control
 * characters are dropped and whitespace collapsed, so an entry is one line of plain text.
 */
export function parseMemory(text: string): string[] {
  const lines = text.replace(/<!--[\s\S]*?(-->|$)/g, '').split(/\r\n|\r|\n/);
  const entries: string[] = [];
  let cur: string[] | null = null;
  const close = (): void => {
    if (cur) {
      const entry = clean(cur.join(' '));
      if (entry) entries.push(entry);
    }
    cur = null;
  };
  for (const line of lines) {
    if (line.trim() === '') { close(); continue; }
    if (/^ {0,3}#{1,6}(\s|$)/.test(line)) { close(); continue; }
    const item = /^ {0,3}(?:[-*+]|\d{1,9}[.)])\s+(.*)$/.exec(line);
    if (item) { close(); cur = [item[1]]; continue; }
    if (!cur) cur = [];
    cur.push(line.trim());
  }
  close();
  return entries.slice(-MAX_ENTRIES);
}

/** Text as one bounded line: no control or bidi-override characters, whitespace collapsed. */
export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, ' ').replace(/\s+/g, ' ').trim();
  return plain.length > ENTRY_MAX_CHARS ? `${plain.slice(0, ENTRY_MAX_CHARS - 1)}…` : plain;
}

/** A lesson as memory.md keeps it: one list item that says when and where it came from. */
export interface MemoryEntryInput {
  text: string;
  /** YYYY-MM-DD */
  date: string;
  runId: string;
  kind: string;
}

export function formatEntry(e: MemoryEntryInput): string {
  return `- ${e.date} (run ${e.runId}, ${e.kind}): ${clean(e.text)}`;
}

/**
 * Appends entries to memory.md, creating it with its heading when missing. Appends rather than
 * rewrites, so a file larger than what is ever read loses nothing the user wrote; refuses a
 * symlink (O_NOFOLLOW). Returns the file's path.
 */
export async function appendMemory(workspace: string, outputRoot: string, entries: readonly MemoryEntryInput[]): Promise<string> {
  const file = await memoryPath(workspace, outputRoot);
  if (entries.length === 0) return file;
  await fs.mkdir(path.dirname(file), { recursive: true });
  const st = await fs.lstat(file).catch(() => null);
  if (st && !st.isFile()) throw new Error(`${file} is not a plain file (a symlink or a folder); lessons are not written through it`);
  const fh = await fs.open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW, 0o644);
  try {
    const size = (await fh.stat()).size;
    let prefix = '';
    if (size === 0) prefix = HEADER;
    else {
      const last = Buffer.alloc(1);
      const rd = await fs.open(file, constants.O_RDONLY | NOFOLLOW);
      try { await rd.read(last, 0, 1, size - 1); } finally { await rd.close(); }
      if (last[0] !== 0x0a) prefix = '\n';
    }
    await fh.appendFile(`${prefix}${entries.map(formatEntry).join('\n')}\n`, 'utf8');
  } finally {
    await fh.close();
  }
  return file;
}
