/**
 * The builder's write tools, a public contract like the worker tools (prompts and events.jsonl
 * name them):
 *
 *   write_file  {path, content}             create or replace a whole file (parent folders made)
 *   edit_file   {path, old_text, new_text}  replace the one occurrence of old_text
 *   delete_file {path}                      delete a file
 *
 * `path` is relative to the builder's workspace folder, which is inside its own git worktree.
 *
 * Invariants: a write lands only inside the worktree, only on a file the builder owns
 * (`ToolContext.builder.owned`), never in `.git/` (any case or Windows spelling), `node_modules/`,
 * the output root or a secret-looking file, and never through a symlink: every existing segment
 * of the path is lstat'ed and a link refused even when it points inside. Writes are atomic (temp
 * file + rename, the file's mode kept) and at most `MAX_WRITE_BYTES`. No tool runs a shell. Error
 * texts name paths and counts, never file content.
 */
import { readFileSync, unlinkSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { lstatSyncOrNull, writeFileAtomicSync } from '../files';
import { relativeInside } from '../paths';
import { IgnoreRules } from './ignoreRules';
import { outputRootRel, PathRefusedError, refusalReason } from './pathGuard';
import { ToolFailure } from './schema';
import { plural } from '../../shared/words';

/** The write tools, in the order `toolDefinitions({ builder: true })` lists them. */
export const WRITE_TOOL_NAMES = ['write_file', 'edit_file', 'delete_file'] as const;
export type WriteToolName = (typeof WRITE_TOOL_NAMES)[number];

/** The largest file a write tool writes (or edit_file reads): 1 MB. */
export const MAX_WRITE_BYTES = 1024 * 1024;
const MAX_OWNED_SHOWN = 30;
const MAX_LINES_SHOWN = 10;

/** What the write tools need from a context; `ToolContext` satisfies it. */
export interface WriteContext {
  /** The builder's workspace folder inside its worktree. */
  workspace: string;
  outputRoot: string;
  /** Workspace-relative files the builder owns; an entry ending in "/" owns everything below that folder. */
  builder?: { owned: readonly string[] };
  /** The user's added secret globs; see `IgnoreOptions.secretFiles`. */
  secretFiles?: readonly string[];
}

export const WriteFileInput = z.object({
  path: z.string().min(1).describe('File path relative to the workspace root; must be one of your files'),
  content: z.string().describe('The whole new content of the file (text, at most 1 MB)'),
}).strict();

export const EditFileInput = z.object({
  path: z.string().min(1).describe('File path relative to the workspace root; must be one of your files'),
  old_text: z.string().min(1)
    .describe('Exact text to replace, copied from read_file without the line-number prefixes; must occur exactly once in the file'),
  new_text: z.string().describe('The text to put in its place (empty to delete it)'),
}).strict();

export const DeleteFileInput = z.object({
  path: z.string().min(1).describe('File path relative to the workspace root; must be one of your files'),
}).strict();

export const WRITE_TOOL_DESCRIPTIONS: Record<WriteToolName, string> = {
  write_file: 'Create a file you own, or replace one whole (parent folders are created). For a small change to an existing file use edit_file instead. Text only, at most 1 MB.',
  edit_file: 'Change a file you own by replacing old_text with new_text. old_text must occur exactly once in the file: copy it exactly from read_file (without the line-number prefixes), with enough surrounding lines to be unique; otherwise nothing changes and the error says how many times it occurs.',
  delete_file: 'Delete a file you own.',
};

function segmentsOf(rel: string): string[] {
  return rel.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
}

/**
 * `.git` as Windows also reads it: `.git.`, `.git ` and `.git::$INDEX_ALLOCATION` are the same
 * folder on NTFS, `GIT~1` its short name. Refused on every platform: such names are never needed.
 */
function gitLike(segment: string): boolean {
  const s = segment.toLowerCase();
  return /^\.git[. ]*(:.*)?$/.test(s) || /^git~\d+$/.test(s);
}

function ownedList(owned: readonly string[]): string {
  const shown = owned.slice(0, MAX_OWNED_SHOWN).join(', ');
  return owned.length > MAX_OWNED_SHOWN ? `${shown} and ${owned.length - MAX_OWNED_SHOWN} more` : shown || '(none)';
}

function isOwned(owned: readonly string[], rel: string): boolean {
  return owned.some((o) => {
    const clean = segmentsOf(o).join('/');
    if (clean === '') return false;
    return /[\\/]$/.test(o) ? rel.startsWith(`${clean}/`) : rel === clean;
  });
}

interface WriteTarget { abs: string; rel: string; stat: Stats | null }

/**
 * The write guard: where `p` is and what is there now (lstat), or a refusal that names the path
 * and the reason. See the file header for the rules.
 */
function guardWrite(ctx: WriteContext, p: string): WriteTarget {
  if (!ctx.builder) throw new ToolFailure('this agent does not change files; only builders have write_file, edit_file and delete_file');
  if (p.includes('\0')) throw new PathRefusedError(`refused: ${JSON.stringify(p)} contains a NUL byte`);
  const ws = path.resolve(ctx.workspace);
  const abs = path.resolve(ws, p);
  const rel = relativeInside(ws, abs);
  if (rel === null) throw new PathRefusedError(`refused: ${p} is outside your worktree; give a path relative to the workspace root`);
  if (rel === '') throw new PathRefusedError(`refused: ${p} is the workspace folder itself, not a file`);
  const segments = rel.split('/');
  if (segments.some(gitLike)) throw new PathRefusedError(`refused: ${p} is inside .git/`);
  // A builder writes files, never folders, so every file-name rule applies.
  const reason = refusalReason(rel, outputRootRel(ctx), { secretFiles: ctx.secretFiles });
  if (reason !== null) throw new PathRefusedError(`refused: ${p} ${reason}`);
  const owned = ctx.builder.owned;
  if (!isOwned(owned, rel)) {
    throw new PathRefusedError(`refused: ${p} is not one of your files; you may change only: ${ownedList(owned)}`);
  }
  // lstat each segment: a link anywhere on the way is refused, wherever it points.
  let cur = ws;
  let stat: Stats | null = null;
  for (let i = 0; i < segments.length; i++) {
    cur = path.join(cur, segments[i]);
    const st = lstatSyncOrNull(cur);
    const last = i === segments.length - 1;
    if (st === null) break;
    const shown = segments.slice(0, i + 1).join('/');
    if (st.isSymbolicLink()) {
      throw new PathRefusedError(last ? `refused: ${p} is a symlink; builders never write through links` : `refused: ${p} goes through ${shown}, a symlink; builders never write through links`);
    }
    if (!last && !st.isDirectory()) throw new ToolFailure(`${shown} is a file, so ${p} cannot be below it`);
    if (last) {
      if (st.isDirectory()) throw new ToolFailure(`${p} is a folder; these tools change one file at a time`);
      if (!st.isFile()) throw new PathRefusedError(`refused: ${p} is not a regular file`);
      stat = st;
    }
  }
  return { abs, rel, stat };
}

function checkSize(bytes: number, what: string): void {
  if (bytes > MAX_WRITE_BYTES) {
    throw new ToolFailure(`${what} is ${bytes.toLocaleString('en-US')} bytes; the limit is 1 MB (${MAX_WRITE_BYTES.toLocaleString('en-US')} bytes) per file`);
  }
}

/** The mode to give a replacement, so an executable script stays executable. */
function modeOf(st: Stats | null): number | undefined {
  return st === null ? undefined : st.mode & 0o777;
}

export function writeFileToolSync(input: z.output<typeof WriteFileInput>, ctx: WriteContext): string {
  const bytes = Buffer.byteLength(input.content);
  checkSize(bytes, 'content');
  if (input.content.includes('\0')) throw new ToolFailure('content contains a NUL byte; write_file writes text files only');
  const t = guardWrite(ctx, input.path);
  if (t.stat === null) {
    // A new file the repository ignores would never reach the change: say so rather than lose it.
    const ignored = new IgnoreRules(path.resolve(ctx.workspace)).reasonForPathSync(t.rel, false);
    if (ignored !== null) throw new PathRefusedError(`refused: ${input.path} ${ignored}, so it would not be part of the change`);
  }
  writeFileAtomicSync(t.abs, input.content, { mode: modeOf(t.stat) });
  return t.stat === null
    ? `Created ${t.rel} (${bytes} bytes).`
    : `Wrote ${t.rel} (${bytes} bytes; it had ${t.stat.size}).`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Start offsets of `needle` in `hay`, overlapping ones included ("aa" is twice in "aaa": ambiguous). */
function occurrences(hay: string, needle: string): number[] {
  const at: number[] = [];
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + 1)) at.push(i);
  return at;
}

function lineAt(text: string, offset: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

export function editFileToolSync(input: z.output<typeof EditFileInput>, ctx: WriteContext): string {
  const t = guardWrite(ctx, input.path);
  if (t.stat === null) throw new ToolFailure(`${input.path} does not exist; create it with write_file`);
  checkSize(t.stat.size, input.path);
  if (input.old_text === input.new_text) throw new ToolFailure('old_text and new_text are the same; nothing would change');
  const buf = readFileSync(t.abs);
  if (buf.includes(0)) throw new ToolFailure(`${input.path} looks binary (it has a NUL byte); edit_file edits text`);
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    throw new ToolFailure(`${input.path} is not UTF-8 text; edit_file edits UTF-8 text only (write_file can replace it whole)`);
  }
  let oldText = input.old_text;
  let newText = input.new_text;
  let at = occurrences(text, oldText);
  // A CRLF file read back to the model shows "\n": match the text with the file's own line ends.
  if (at.length === 0 && text.includes('\r\n') && !oldText.includes('\r') && oldText.includes('\n')) {
    const crlf = oldText.replace(/\n/g, '\r\n');
    const atCrlf = occurrences(text, crlf);
    if (atCrlf.length > 0) {
      oldText = crlf;
      newText = newText.replace(/\r?\n/g, '\r\n');
      at = atCrlf;
    }
  }
  if (at.length !== 1) {
    if (at.length === 0) {
      throw new ToolFailure(
        `old_text occurs 0 times in ${t.rel}; it must occur exactly once. Copy it exactly from read_file (without the line-number prefixes), `
        + 'with its whitespace and indentation, and include more surrounding lines if it is short.',
      );
    }
    const where = at.slice(0, MAX_LINES_SHOWN).map((o) => lineAt(text, o));
    throw new ToolFailure(
      `old_text occurs ${at.length} times in ${t.rel} (at lines ${where.join(', ')}${at.length > MAX_LINES_SHOWN ? ', …' : ''}); it must occur exactly once. `
      + 'Include more surrounding lines in old_text to make it unique.',
    );
  }
  // Slices, not String.replace, whose replacement would read "$&" and "$1" in new_text as patterns.
  const next = text.slice(0, at[0]) + newText + text.slice(at[0] + oldText.length);
  checkSize(Buffer.byteLength(next), `${input.path} after the edit`);
  writeFileAtomicSync(t.abs, next, { mode: modeOf(t.stat) });
  const count = (s: string): number => (s === '' ? 0 : s.split('\n').length - (s.endsWith('\n') ? 1 : 0));
  return `Edited ${t.rel} at line ${lineAt(text, at[0])}: ${plural(count(oldText), 'line')} replaced by ${count(newText)}.`;
}

export function deleteFileToolSync(input: z.output<typeof DeleteFileInput>, ctx: WriteContext): string {
  const t = guardWrite(ctx, input.path);
  if (t.stat === null) throw new ToolFailure(`${input.path} does not exist`);
  unlinkSync(t.abs);
  return `Deleted ${t.rel}.`;
}
