/**
 * The files a map-reduce run asks its question of, chosen by the engine, not the model: the
 * include globs over the guarded workspace walk (the same walk and guard the tools use, so a
 * mapper is never sent a file a worker could not read), less what must not or cannot be mapped,
 * each exclusion with its reason.
 */
import { closeSync, openSync, promises as fsp, readSync } from 'node:fs';
import * as path from 'node:path';
import { isBinaryFileSync } from 'isbinaryfile';
import pLimit from 'p-limit';
import { compileGlob, type CompiledGlob } from '../../tools/glob';
import { isSecretPath, type GuardContext } from '../../tools/pathGuard';
import { formatBytes, newScanState, walkAllowed } from '../../tools/walk';
import type { IgnoreOptions } from '../../tools/ignoreRules';
import { PlanInputError, withinFocus } from '../pattern';
import { thousands } from './plan';

/** Tokens the `<file path="…">` wrapper adds to each file a mapper is sent. */
export const FILE_WRAPPER_TOKENS = 16;
/** Directory entries one selection may visit, so a giant tree fails planning instead of stalling it. */
const SELECT_SCAN_LIMIT = 300_000;
/** Folders listed for secrets at once. */
const LIST_CONCURRENCY = 16;
/** Bytes read from the head of each file to tell text from binary (isbinaryfile looks at 512). */
const SNIFF_BYTES = 1024;

export const EXCLUSION_REASONS = ['excluded-glob', 'secret', 'binary', 'too-large', 'empty', 'duplicate', 'unreadable'] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

export interface SelectedFile {
  /** Workspace-relative, posix separators. */
  path: string;
  bytes: number;
  /** What the file costs a mapper: ≈ bytes ÷ 4, plus its wrapper. */
  tokens: number;
}

export interface ExcludedFile {
  path: string;
  reason: ExclusionReason;
  detail: string;
}

export interface Selection {
  /** In code-point path order. */
  selected: SelectedFile[];
  /** In code-point path order. */
  excluded: ExcludedFile[];
}

export interface SelectOptions {
  workspace: string;
  outputRoot: string;
  /** The run's ignore rules (.gitignore, the `exclude` setting): what they hide is never selected. */
  ignore: IgnoreOptions;
  include: readonly string[];
  exclude: readonly string[];
  /** Workspace folders the run is confined to; empty = the whole workspace. */
  focus: readonly string[];
  /** A file over this many tokens could not fit one mapper: it is excluded as too large. */
  maxFileTokens: number;
}

export const tokensOfBytes = (bytes: number): number => Math.ceil(bytes / 4) + FILE_WRAPPER_TOKENS;

const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * Where the walks start: each include glob's literal folder, narrowed to the focus, without a
 * root that lies below another (so no file is walked twice).
 */
function walkRoots(globs: readonly CompiledGlob[], focus: readonly string[]): string[] {
  const candidates = new Set<string>();
  for (const g of globs) {
    const prefix = g.prefix;
    if (focus.length === 0) candidates.add(prefix || '.');
    else for (const f of focus) {
      if (!prefix || withinFocus(prefix, [f])) candidates.add(prefix || f);
      else if (withinFocus(f, [prefix])) candidates.add(f);
    }
  }
  const roots = [...candidates].sort();
  return roots.filter((r) => !roots.some((o) => o !== r && (o === '.' || r.startsWith(`${o}/`))));
}

/**
 * Selects the files the include globs match (and the exclude globs do not) inside the focus.
 * Excluded and listed with a reason: exclude-glob matches, secret-looking files beside matched
 * ones, binary files, files too large for one mapper, empty files, a second path to the same file
 * (a symlink), and files that could not be read. `.git/`, `node_modules/`, the output root and
 * whatever else the walk never yields are not listed. Throws `PlanInputError` when nothing is
 * selected or the workspace is too large to walk, so the planner is asked again with that.
 */
export async function selectFiles(opts: SelectOptions): Promise<Selection> {
  const include = opts.include.map((g) => compileGlob(g));
  const exclude = opts.exclude.map((g) => ({ glob: g, compiled: compileGlob(g) }));
  const ctx: GuardContext = { workspace: opts.workspace, outputRoot: opts.outputRoot, ...opts.ignore };
  const state = newScanState(SELECT_SCAN_LIMIT);
  const matches = (rel: string): boolean => include.some((g) => g.test(rel)) && withinFocus(rel, opts.focus);
  const excluded: ExcludedFile[] = [];
  const candidates: Array<{ rel: string; abs: string; size: number }> = [];
  const dirs: string[] = [];
  const seenAbs = new Map<string, string>();

  for (const root of walkRoots(include, opts.focus)) {
    dirs.push(root === '.' ? '' : root);
    for await (const e of walkAllowed(ctx, root, { state })) {
      if (e.isDir) {
        if (!e.isLink) dirs.push(e.rel);
        continue;
      }
      if (!matches(e.rel)) continue;
      const ex = exclude.find((x) => x.compiled.test(e.rel));
      if (ex) {
        excluded.push({ path: e.rel, reason: 'excluded-glob', detail: `matches exclude glob "${ex.glob}"` });
        continue;
      }
      const first = seenAbs.get(e.abs);
      if (first !== undefined) {
        excluded.push({ path: e.rel, reason: 'duplicate', detail: `the same file as ${first} (a symlink)` });
        continue;
      }
      seenAbs.set(e.abs, e.rel);
      candidates.push({ rel: e.rel, abs: e.abs, size: e.size });
    }
  }
  if (state.stopped) {
    throw new PlanInputError([`The include globs reach more than ${thousands(SELECT_SCAN_LIMIT)} entries of the workspace; narrow them (start them with a folder) or run on a focus folder`]);
  }
  excluded.push(...await secretsBeside(opts.workspace, dirs, matches, opts.ignore.secretFiles));

  const selected: SelectedFile[] = [];
  const head = Buffer.alloc(SNIFF_BYTES);
  for (const c of candidates) {
    const verdict = judgeSync(c, opts.maxFileTokens, head);
    if ('reason' in verdict) excluded.push(verdict);
    else selected.push(verdict);
  }
  selected.sort(byPath);
  excluded.sort(byPath);
  if (selected.length === 0) throw new PlanInputError([nothingSelected(opts, excluded)]);
  return { selected, excluded };
}

/**
 * Selected, or excluded with why. The head is read synchronously: three small syscalls per file
 * cost less than a thread-pool round trip each, and 2,000 files are sniffed in milliseconds.
 */
function judgeSync(c: { rel: string; abs: string; size: number }, maxFileTokens: number, head: Buffer): SelectedFile | ExcludedFile {
  const tokens = tokensOfBytes(c.size);
  if (c.size === 0) return { path: c.rel, reason: 'empty', detail: 'the file is empty' };
  if (tokens > maxFileTokens) {
    return { path: c.rel, reason: 'too-large', detail: `${formatBytes(c.size)} ≈ ${thousands(tokens)} tokens, over the ${thousands(maxFileTokens)}-token mapper budget` };
  }
  try {
    const fd = openSync(c.abs, 'r');
    let n: number;
    try {
      n = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    if (isBinaryFileSync(head, n)) return { path: c.rel, reason: 'binary', detail: `binary content (${formatBytes(c.size)})` };
  } catch (err) {
    return { path: c.rel, reason: 'unreadable', detail: err instanceof Error ? err.message : String(err) };
  }
  return { path: c.rel, bytes: c.size, tokens };
}

/**
 * Secret-looking entries the walk passed over in the folders it visited: matched files (so the
 * user learns they were left out on purpose) and secret folders (`.ssh/`), never opened.
 */
async function secretsBeside(
  workspace: string, dirs: readonly string[], matches: (rel: string) => boolean, secretFiles?: readonly string[],
): Promise<ExcludedFile[]> {
  const out: ExcludedFile[] = [];
  const limit = pLimit(LIST_CONCURRENCY);
  await Promise.all(dirs.map((dir) => limit(async () => {
    const entries = await fsp.readdir(path.join(workspace, dir), { withFileTypes: true }).catch(() => []);
    for (const d of entries) {
      const rel = dir ? `${dir}/${d.name}` : d.name;
      if (!isSecretPath(rel, { secretFiles, isDir: d.isDirectory() })) continue;
      if (d.isDirectory()) out.push({ path: `${rel}/`, reason: 'secret', detail: 'a folder of secrets; nothing below it is read' });
      else if (matches(rel)) out.push({ path: rel, reason: 'secret', detail: 'looks like a secret file; never read' });
    }
  })));
  return out;
}

function nothingSelected(opts: SelectOptions, all: readonly ExcludedFile[]): string {
  // Secret folders are listed whatever the globs; only files the globs matched explain an empty selection.
  const excluded = all.filter((e) => !e.path.endsWith('/'));
  const where = opts.focus.length ? `the focus (${opts.focus.join(', ')})` : 'the workspace';
  const what = `include globs ${JSON.stringify(opts.include)}${opts.exclude.length ? ` less exclude globs ${JSON.stringify(opts.exclude)}` : ''}`;
  if (excluded.length === 0) return `The ${what} match no file in ${where}; use globs that match files listed in the workspace overview`;
  const counts = countByReason(excluded).map(([r, n]) => `${n} ${r}`).join(', ');
  return `The ${what} select no readable text file in ${where}: the ${excluded.length} they match are all excluded (${counts}); use globs that match text files`;
}

/** Exclusions per reason, in the order of EXCLUSION_REASONS, leaving out reasons with none. */
export function countByReason(excluded: readonly ExcludedFile[]): Array<[ExclusionReason, number]> {
  const counts = new Map<ExclusionReason, number>();
  for (const e of excluded) counts.set(e.reason, (counts.get(e.reason) ?? 0) + 1);
  return EXCLUSION_REASONS.filter((r) => counts.has(r)).map((r) => [r, counts.get(r)!]);
}
