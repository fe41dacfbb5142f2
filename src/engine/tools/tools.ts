/**
 * The four worker tools (`list_files`, `read_file`, `search`, `write_output`) as a tool set
 * (toolSet.ts: one handler per tool, with its zod schema); every one of them goes through the path
 * guard in pathGuard.ts. Tool names and parameters are a public contract: the prompts and the
 * recorded tool calls in events.jsonl name them.
 * A builder (`ctx.builder`) gets the three read tools and the write tools of writeTools.ts
 * (`write_file`, `edit_file`, `delete_file`) instead of `write_output`.
 *
 * Invariants: no tool runs a shell or a child process; nothing outside the workspace, inside `.git/`,
 * `node_modules/` or the output root (bar `extraReadable`), or secret-looking is ever read or
 * listed; `write_output` writes one file, the agent's own; `executeTool` never throws.
 */
import {
  appendFileSync, closeSync, constants as fsConstants, fstatSync, mkdirSync, openSync, promises as fsp, readFile as readFileCb,
} from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { ToolDefinition } from '../model/client';
import { compileGlob } from './glob';
import { literalMatcher, MAX_REGEX_CHARS, regexMatcher } from './searchPattern';
import { checkPathSync, relativeInside } from './pathGuard';
import { formatBytes, newScanState, Slicer, walkAllowed, type WalkEntry } from './walk';
import { lstatSyncOrNull, writeFileAtomicSync } from '../files';
import { redactText } from '../redact';
import { linesOfWhole, readLines } from './readLines';
import { ToolFailure } from './schema';
import { defineTool, ToolSet, type ToolResult } from './toolSet';
import {
  deleteFileToolSync, DeleteFileInput, editFileToolSync, EditFileInput, WRITE_TOOL_DESCRIPTIONS, WRITE_TOOL_NAMES, writeFileToolSync, WriteFileInput,
  type WriteToolName,
} from './writeTools';

// The guard and the walk live in their own files; they stay exported here so callers keep one import.
export { checkPathSync, guardPathSync, isSecretPath, PathRefusedError, resolveInsideSync } from './pathGuard';
export type { GuardContext, GuardedPath } from './pathGuard';
export { formatBytes, newScanState, walkAllowed } from './walk';
export type { ScanState, WalkEntry } from './walk';
export { MAX_WRITE_BYTES, WRITE_TOOL_NAMES, type WriteToolName } from './writeTools';

/** Where a tool call runs and what it may touch; one per agent. */
export interface ToolContext {
  /** Absolute workspace root. */
  workspace: string;
  /** Workspace-relative output root, e.g. `.orchestration`; never readable. */
  outputRoot: string;
  /** Absolute path of the only file `write_output` may write. */
  ownOutputFile: string;
  /** Absolute paths of files inside the output root this agent may read (a coordinator's worker files). */
  extraReadable?: string[];
  /** When true `write_output` is refused, matching `toolDefinitions({ readOnly: true })`. */
  readOnly?: boolean;
  /**
   * Workspace-relative folders (or files) `list_files`, `read_file` and `search` are confined to;
   * unset or empty for the whole workspace. `write_output` is not affected.
   */
  focus?: readonly string[];
  /** When true, `.gitignore` files and `.git/info/exclude` hide nothing (secrets stay refused). */
  includeIgnored?: boolean;
  /** Workspace-relative globs hidden from the tools (VS Code fills them from files.exclude and search.exclude). */
  exclude?: readonly string[];
  /** Globs the user adds to the secret files (the `secretFiles` setting); refused like the built-in ones. */
  secretFiles?: readonly string[];
  /**
   * Set for a builder: `workspace` is then the workspace folder inside its own git worktree, and
   * the write tools may change exactly the `owned` files (workspace-relative; an entry ending in
   * "/" owns everything below that folder).
   */
  builder?: { owned: readonly string[] };
  maxReadBytes?: number;
  maxListEntries?: number;
  maxSearchMatches?: number;
}

export type { ToolResult } from './toolSet';

/** Every worker tool, in the order `toolDefinitions` lists them. */
export const WORKER_TOOL_NAMES = ['list_files', 'read_file', 'search', 'write_output'] as const;
export type WorkerToolName = (typeof WORKER_TOOL_NAMES)[number];
/** A builder's tools, in the order `toolDefinitions({ builder: true })` lists them. */
export const BUILDER_TOOL_NAMES = ['list_files', 'read_file', 'search', ...WRITE_TOOL_NAMES] as const;
export type BuilderToolName = (typeof BUILDER_TOOL_NAMES)[number];

const DEFAULT_MAX_READ_BYTES = 200_000;
const DEFAULT_MAX_LIST_ENTRIES = 500;
const DEFAULT_MAX_SEARCH_MATCHES = 200;
const MAX_SEARCH_FILE_BYTES = 1_000_000;
const BINARY_SNIFF_BYTES = 8192;
const MATCH_TEXT_CHARS = 300;
/** Files up to this size are read whole (one syscall each way) rather than streamed. */
const WHOLE_READ_BYTES = 1_000_000;
/** The first read of a searched file; a file that fills it is then sized and read to the end. */
const FIRST_READ_BYTES = 64 * 1024;
/** Files `search` reads ahead of the one it is matching. */
const SEARCH_READ_AHEAD = 8;



function joinRel(a: string, b: string): string {
  return a && b ? `${a}/${b}` : a || b;
}

function looksBinary(head: Buffer): boolean {
  return head.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

// ---------------------------------------------------------------------------------------------
// The tools

const ListInput = z.object({
  path: z.string().min(1).optional()
    .describe('Folder (or file) relative to the workspace root; default the root'),
  glob: z.string().min(1).optional()
    .describe('List recursively, keeping entries that match, e.g. "**/*.ts" or "src/*.{js,ts}", relative to path; a glob without "/" matches names at any depth'),
}).strict();

async function listFiles(input: z.output<typeof ListInput>, ctx: ToolContext): Promise<string> {
  const shown = input.path ?? '.';
  const base = checkPathSync(ctx, shown, { aboveFocusOk: true });
  const st = base.stat;
  if (!st) throw new ToolFailure(`${shown} does not exist`);
  if (!st.isDirectory()) return formatEntry({ rel: base.rel, abs: base.abs, isDir: false, size: st.size, isLink: false });

  const max = ctx.maxListEntries ?? DEFAULT_MAX_LIST_ENTRIES;
  const glob = input.glob === undefined ? null : compileGlob(input.glob);
  const state = newScanState();
  const lines: string[] = [];
  let total = 0;
  const start = glob ? joinRel(base.rel, glob.prefix) : base.rel;
  const entries = walkAllowed(ctx, start || '.', { maxDepth: glob ? glob.depth : 1, state });
  for await (const e of entries) {
    if (glob && !glob.test(base.rel ? e.rel.slice(base.rel.length + 1) : e.rel)) continue;
    total++;
    if (lines.length < max) lines.push(formatEntry(e));
  }
  if (total === 0) {
    lines.push(glob ? `No entries under ${base.rel || '.'} match "${input.glob}".` : `${base.rel || '.'} has no entries that can be listed.`);
  }
  if (total > max) lines.push(`[${total - max} more entries omitted; narrow with path or glob]`);
  if (state.stopped) lines.push(`[stopped after scanning ${state.scanned} entries; narrow with path or glob]`);
  return lines.join('\n');
}

function formatEntry(e: WalkEntry): string {
  if (e.isDir) return `${e.rel}/${e.isLink ? ' (symlink)' : ''}`;
  return `${e.rel}  ${formatBytes(e.size)}`;
}

const ReadInput = z.object({
  path: z.string().min(1).describe('File path relative to the workspace root'),
  start_line: z.number().int().min(1).optional().describe('First line to read, 1-based (default 1)'),
  end_line: z.number().int().min(1).optional().describe('Last line to read, inclusive (default the end)'),
}).strict().refine(
  (v) => v.start_line === undefined || v.end_line === undefined || v.end_line >= v.start_line,
  { message: 'end_line must be at least start_line', path: ['end_line'] },
);

/**
 * The callback `readFile`, promisified: it reads a small file in one request to the thread pool,
 * where `fs.promises.readFile` goes through a FileHandle (open, fstat, read, close, each a round
 * trip and a transferable object), which a profile of 1,000 agents showed near the top.
 */
const readWhole = promisify(readFileCb);

async function readFile(input: z.output<typeof ReadInput>, ctx: ToolContext): Promise<string> {
  const { abs, stat: st } = checkPathSync(ctx, input.path);
  if (!st) throw new ToolFailure(`${input.path} does not exist`);
  if (st.isDirectory()) throw new ToolFailure(`${input.path} is a folder; use list_files`);
  if (!st.isFile()) throw new ToolFailure(`${input.path} is not a regular file`);
  // A file of ordinary size is read in one go; a large one is streamed.
  const whole = st.size <= WHOLE_READ_BYTES ? await readWhole(abs) : null;
  let head: Buffer;
  if (whole) {
    head = whole;
  } else {
    head = Buffer.alloc(Math.min(BINARY_SNIFF_BYTES, st.size));
    const fh = await fsp.open(abs, 'r');
    try {
      await fh.read(head, 0, head.length, 0);
    } finally {
      await fh.close();
    }
  }
  if (looksBinary(head)) throw new ToolFailure(`refused: ${input.path} looks binary (NUL byte in the first 8 KB)`);

  const from = input.start_line ?? 1;
  const to = input.end_line ?? Infinity;
  const budget = ctx.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
  const r = whole ? linesOfWhole(whole, from, to, budget) : await readLines(abs, from, to, budget);
  if (r.total === 0) return '(empty file)';
  if (from > r.total) throw new ToolFailure(`start_line ${from} is past the end: ${input.path} has ${r.total} lines`);
  const last = r.lines.length ? from + r.lines.length - 1 : from;
  const width = Math.max(4, String(last).length);
  const out: string[] = new Array<string>(r.lines.length);
  for (let i = 0; i < r.lines.length; i++) out[i] = `${String(from + i).padStart(width)}| ${r.lines[i]}`;
  if (r.lineCut) out.push(`[line ${last} is longer than the read limit and was cut]`);
  if (r.truncated) {
    out.push(`[truncated: file has ${r.total} lines, shown ${from}-${last}; read more with start_line/end_line]`);
  } else if (input.start_line !== undefined || input.end_line !== undefined) {
    out.push(`[lines ${from}-${last} of ${r.total}]`);
  }
  return out.join('\n');
}

const SearchInput = z.object({
  pattern: z.string().min(1)
    .describe(`Text to find (literal and case-sensitive), or a regular expression when regex is true: JavaScript syntax without lookahead, lookbehind or backreferences (it runs on RE2, a linear-time engine), at most ${MAX_REGEX_CHARS} characters; (?i) makes it case-insensitive`),
  glob: z.string().min(1).optional()
    .describe('Only search files matching this glob, relative to the workspace root, e.g. "src/**/*.ts"; a glob without "/" matches names at any depth'),
  regex: z.boolean().optional().describe('Treat pattern as a regular expression (default false)'),
}).strict();

/** Characters of lines matched between two looks at the clock, so no file holds the event loop for long. */
const SEARCH_CHARS_PER_SLICE_CHECK = 32_768;

async function search(input: z.output<typeof SearchInput>, ctx: ToolContext): Promise<string> {
  const matcher = input.regex === true ? regexMatcher(input.pattern) : literalMatcher(input.pattern);
  const glob = input.glob === undefined ? null : compileGlob(input.glob);
  const max = ctx.maxSearchMatches ?? DEFAULT_MAX_SEARCH_MATCHES;
  const state = newScanState();
  const out: string[] = [];
  let total = 0;
  let tooLarge = 0;

  const slicer = new Slicer();
  const pause = (): Promise<void> => slicer.pause();
  let sinceCheck = 0;
  const scan = async (rel: string, read: Promise<Buffer | 'large' | null>): Promise<void> => {
    const buf = await read;
    if (buf === 'large') tooLarge++;
    if (buf === null || buf === 'large' || looksBinary(buf)) return;
    const lines = buf.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    for (let i = 0; i < lines.length; i++) {
      // Matching runs in slices too, counted in characters: one file of long lines can take as
      // long as many files of short ones, and a regex costs more per character than indexOf.
      sinceCheck += lines[i].length + 16;
      if (sinceCheck >= SEARCH_CHARS_PER_SLICE_CHECK) {
        sinceCheck = 0;
        await slicer.pause();
      }
      const raw = lines[i];
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (!matcher.test(line)) continue;
      total++;
      // Only a shown match needs its place in the line.
      if (out.length < max) out.push(`${rel}:${i + 1}: ${excerpt(line, await matcher.locate(line, pause))}`);
    }
  };
  // Reads run a few files ahead of the matching, in walk order, so the output stays deterministic
  // while the thread pool is kept busy.
  const ahead: Array<{ rel: string; read: Promise<Buffer | 'large' | null> }> = [];
  const spare: Buffer[] = [];
  const walk = walkAllowed(ctx, glob?.prefix || '.', { maxDepth: glob?.depth ?? Infinity, state, sizes: false });
  for await (const e of walk) {
    if (e.isDir || (glob && !glob.test(e.rel))) continue;
    ahead.push({ rel: e.rel, read: readSmall(e.abs, spare) });
    if (ahead.length >= SEARCH_READ_AHEAD) {
      const next = ahead.shift()!;
      await scan(next.rel, next.read);
    }
  }
  for (const next of ahead) await scan(next.rel, next.read);
  if (total === 0) out.push(`No matches for ${JSON.stringify(input.pattern)}${input.glob ? ` in files matching "${input.glob}"` : ''}.`);
  if (total > max) {
    out.push(`[${total - max} more matches not shown (${total} in all); narrow with glob or a more specific pattern]`);
  }
  if (tooLarge > 0) out.push(`[skipped ${tooLarge} file${tooLarge === 1 ? '' : 's'} over 1 MB; use read_file with start_line/end_line]`);
  if (state.stopped) out.push(`[stopped after scanning ${state.scanned} entries; narrow with glob]`);
  return out.join('\n');
}

/**
 * A file's bytes when it is at most 1 MB, 'large' when bigger, null when it cannot be read. Most
 * source files fit one 64 KB read, so they cost three trips to the thread pool (open, read,
 * close) rather than the four of `readFile`.
 */
async function readSmall(abs: string, spare: Buffer[]): Promise<Buffer | 'large' | null> {
  let fh: fsp.FileHandle | undefined;
  // The first-read buffers are reused: a fresh 64 KB per file would churn external memory and
  // bring on full garbage collections, which block the event loop.
  const first = spare.pop() ?? Buffer.allocUnsafe(FIRST_READ_BYTES);
  try {
    fh = await fsp.open(abs, 'r');
    // From the current position (null), so readFile below carries on where this read stopped.
    const { bytesRead } = await fh.read(first, 0, FIRST_READ_BYTES, null);
    if (bytesRead < FIRST_READ_BYTES) return Buffer.from(first.subarray(0, bytesRead));
    const st = await fh.stat();
    if (!st.isFile()) return null;
    if (st.size > MAX_SEARCH_FILE_BYTES) return 'large';
    const rest = await fh.readFile();
    return Buffer.concat([first, rest]);
  } catch {
    return null;
  } finally {
    spare.push(first);
    await fh?.close().catch(() => undefined);
  }
}

/** The trimmed line, cut to 300 characters around the match. */
function excerpt(line: string, at: number): string {
  const lead = line.length - line.trimStart().length;
  const text = line.trim();
  if (text.length <= MATCH_TEXT_CHARS) return text;
  const start = Math.max(0, Math.min(at - lead - 100, text.length - MATCH_TEXT_CHARS));
  const end = start + MATCH_TEXT_CHARS;
  return `${start > 0 ? '…' : ''}${text.slice(start, end)}${end < text.length ? '…' : ''}`;
}

const WriteInput = z.object({
  content: z.string().describe('Markdown to write to your output file'),
  append: z.boolean().optional().describe('Append to the file instead of replacing it (default false)'),
}).strict();

async function writeOutput(input: z.output<typeof WriteInput>, ctx: ToolContext): Promise<string> {
  if (ctx.readOnly === true) throw new ToolFailure('this agent is read-only and has no output file');
  input = { ...input, content: redactText(input.content) }; // the model's answer was redacted on arrival; a file is written only redacted
  const file = path.resolve(ctx.ownOutputFile);
  const shown = relativeInside(path.resolve(ctx.workspace), file) ?? path.basename(file);
  // Synchronous: a report is a few KB, and each async step would cost a thread-pool round trip.
  if (lstatSyncOrNull(file)?.isSymbolicLink()) throw new ToolFailure(`refused: ${shown} is a symlink`);
  const bytes = Buffer.byteLength(input.content);
  if (input.append === true) {
    const size = appendNoFollowSync(file, input.content, shown);
    return `Appended ${bytes} bytes to ${shown} (now ${size} bytes).`;
  }
  // Temp file + rename: a reader (resume, the coordinator) never sees a half-written file.
  writeFileAtomicSync(file, input.content);
  return `Wrote ${bytes} bytes to ${shown}.`;
}

/** O_NOFOLLOW where the platform has it (not Windows), so a symlink swapped in after the check is refused too. */
const APPEND_FLAGS = fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | (fsConstants.O_NOFOLLOW ?? 0);

/** Appends to `file`, creating it (and its folder) if missing; never through a symlink. Returns the new size. */
function appendNoFollowSync(file: string, content: string, shown: string): number {
  let fd: number;
  try {
    fd = openSync(file, APPEND_FLAGS, 0o666);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new ToolFailure(`refused: ${shown} is a symlink`);
    if (code !== 'ENOENT') throw err;
    mkdirSync(path.dirname(file), { recursive: true });
    fd = openSync(file, APPEND_FLAGS, 0o666);
  }
  try {
    appendFileSync(fd, content, 'utf8');
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// The sets, definitions, dispatch

const LIST_FILES = defineTool<typeof ListInput, ToolContext>({
  name: 'list_files',
  description: 'List files and folders in the workspace. Without glob: the direct entries of path. With glob: every matching entry below path, recursively. Folders end with "/", files show their size. .git, node_modules, the orchestration output and secret-looking files are never listed.',
  schema: ListInput, handle: listFiles,
});
const READ_FILE = defineTool<typeof ReadInput, ToolContext>({
  name: 'read_file',
  description: 'Read a text file, with line numbers ("  12| text"). Use start_line/end_line (1-based, inclusive) for part of a long file; long output is truncated with a note. Binary and secret-looking files are refused.',
  schema: ReadInput, handle: readFile,
});
const SEARCH = defineTool<typeof SearchInput, ToolContext>({
  name: 'search',
  description: 'Search file contents across the workspace: a literal, case-sensitive substring by default, a regular expression when regex is true. Returns "path:line: text" lines. Skips binary files and files over 1 MB.',
  schema: SearchInput, handle: search,
});
const WRITE_OUTPUT = defineTool<typeof WriteInput, ToolContext>({
  name: 'write_output',
  description: 'Write your result to your own output file, the only file you can write. Replaces the file unless append is true.',
  schema: WriteInput, handle: writeOutput,
});
const writeTool = <S extends z.ZodType>(name: WriteToolName, schema: S, handle: (input: z.output<S>, ctx: ToolContext) => string) =>
  defineTool<S, ToolContext>({ name, description: WRITE_TOOL_DESCRIPTIONS[name], schema, handle });

/** A worker's tools: the three read tools and `write_output`, in the order of `WORKER_TOOL_NAMES`. */
export const WORKER_TOOLS = new ToolSet<ToolContext>([LIST_FILES, READ_FILE, SEARCH, WRITE_OUTPUT]);
/** A builder's tools: the read tools and the write tools, in the order of `BUILDER_TOOL_NAMES`. */
export const BUILDER_TOOLS = new ToolSet<ToolContext>([
  LIST_FILES, READ_FILE, SEARCH,
  writeTool('write_file', WriteFileInput, writeFileToolSync), writeTool('edit_file', EditFileInput, editFileToolSync), writeTool('delete_file', DeleteFileInput, deleteFileToolSync),
]);

/**
 * The tool definitions to send with a request, in a fixed order. `readOnly` omits `write_output`;
 * `builder` gives the read tools and the write tools (`BUILDER_TOOL_NAMES`). Returns fresh
 * objects, so a caller may add `cache_control` without changing the next call's result.
 */
export function toolDefinitions(opts: { readOnly?: boolean; builder?: boolean } = {}): ToolDefinition[] {
  if (opts.builder === true) return BUILDER_TOOLS.definitions();
  const all = WORKER_TOOLS.definitions();
  return opts.readOnly === true ? all.filter((d) => d.name !== 'write_output') : all;
}

/** The tools an agent may call: a builder's set when it is one, the worker tools otherwise. */
export function toolSetFor(ctx: ToolContext): ToolSet<ToolContext> {
  return ctx.builder ? BUILDER_TOOLS : WORKER_TOOLS;
}

/**
 * Runs one tool call. Never throws: an unknown tool, input that fails the schema, a refused path
 * or an I/O error all come back as `{ isError: true }` with a message the model can act on.
 */
export function executeTool(name: string, input: unknown, ctx: ToolContext): Promise<ToolResult> {
  return toolSetFor(ctx).call(name, input, ctx);
}
