/**
 * The path guard every worker tool, the workspace walk and the plan validator go through, and the
 * secret-path rules it applies.
 *
 * Invariants: nothing outside the workspace, inside `.git/`, `node_modules/` or the output root (bar
 * `extraReadable`), or secret-looking is ever let through; symlinks are judged by their real path.
 * `checkPathSync` adds the per-agent rules on top: the focus, and what the ignore rules hide.
 */
import { realpathSync as realpathSyncJs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { lstatSyncOrNull, statSyncOrNull } from '../files';
import { relativeInside } from '../paths';
import { ignoreRulesOf, type IgnoreOptions } from './ignoreRules';
import { secretReason, type SecretCheck } from './secretFiles';

/**
 * One realpath(3) syscall instead of an lstat per path segment. Windows keeps the JS version, whose
 * answers for mapped drives and UNC paths differ from the native one.
 */
const realpathSync: (p: string) => string = process.platform === 'win32' ? realpathSyncJs : realpathSyncJs.native;

/** What the path guard needs from a context; `ToolContext` satisfies it. */
export interface GuardContext extends IgnoreOptions {
  /** Absolute workspace root. */
  workspace: string;
  /** Workspace-relative output root, e.g. `.orchestration`; never readable. */
  outputRoot: string;
  /** Absolute paths of files inside the output root this agent may read (a coordinator's worker files). */
  extraReadable?: string[];
  /**
   * Workspace-relative folders (or files) the agent is confined to; unset or empty for the whole
   * workspace. Reads outside are refused; walks pass through the folders above it and show only
   * what is inside. `extraReadable` files stay readable.
   */
  focus?: readonly string[];
}

/** Thrown for a path the guard refuses; its message names the path and the reason. */
export class PathRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathRefusedError';
  }
}

function segmentsOf(rel: string): string[] {
  return rel.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
}

/**
 * True for paths that look like credentials (see secretFiles.ts: gitrob's rules from
 * ban-sensitive-files, the project's additions, and the user's `secretFiles` globs), a folder of
 * them (`.ssh/`, `.aws/`, …) or anything below one. Case-insensitive (some file systems are).
 */
export function isSecretPath(rel: string, check: SecretCheck = {}): boolean {
  return secretReason(rel, check) !== null;
}

/** What `refusalReason` may know beyond the path. */
export interface RefusalOptions {
  /** The user's added secret globs (the `secretFiles` setting). */
  secretFiles?: readonly string[];
  /** Whether the path is a folder; see `SecretCheck.isDir`. */
  isDir?: boolean | (() => boolean);
}

/**
 * The policy half of the guard, on a workspace-relative path: why it may not be read, or null.
 * Pass `outputRoot: null` to skip the output-root rule (for an `extraReadable` file).
 */
export function refusalReason(rel: string, outputRoot: string | null, opts: RefusalOptions = {}): string | null {
  const segments = segmentsOf(rel);
  const lower = segments.map((s) => s.toLowerCase());
  if (lower.includes('.git')) return 'is inside .git/';
  if (lower.includes('node_modules')) return 'is inside node_modules/';
  if (outputRoot !== null) {
    const out = segmentsOf(outputRoot).join('/');
    const joined = segments.join('/');
    // Case-folded: on macOS and Windows `.Orchestration` is the same folder.
    const j = joined.toLowerCase();
    const o = out.toLowerCase();
    if (o !== '' && (j === o || j.startsWith(`${o}/`))) {
      return `is inside the output root ${out}/`;
    }
  }
  return secretReason(rel, opts);
}

export { relativeInside } from '../paths';

/** The output root relative to the workspace (it may be configured as an absolute path), or null if outside it. */
export function outputRootRel(ctx: GuardContext): string | null {
  const ws = path.resolve(ctx.workspace);
  return relativeInside(ws, path.resolve(ws, ctx.outputRoot));
}

const NO_EXTRA: ReadonlySet<string | null> = new Set();

/** A guarded path: `abs` is the real path to open, `rel` the workspace-relative path to show. */
export interface GuardedPath { abs: string; rel: string }

/**
 * The path guard, synchronous. Relative paths resolve from the workspace; `..` escapes, absolute
 * paths outside it, symlinks whose real path leaves it, `.git/`, `node_modules/`, the output root
 * (except exact `extraReadable` files) and secret-looking files are refused with a
 * `PathRefusedError` that names the path and the reason. A path that does not exist yet is
 * judged by the real path of its deepest existing ancestor.
 */
export function guardPathSync(ctx: GuardContext, p: string): GuardedPath {
  if (p.includes('\0')) throw new PathRefusedError(`refused: ${JSON.stringify(p)} contains a NUL byte`);
  const fixed = fixedPartsOfSync(ctx);
  const ws = fixed.ws;
  const wsReal = fixed.wsReal;
  const abs = path.resolve(ws, p);
  // The workspace may itself sit behind a symlink (/tmp on macOS), so accept either spelling.
  const rel = relativeInside(ws, abs) ?? relativeInside(wsReal, abs);
  if (rel === null) throw new PathRefusedError(`refused: ${p} is outside the workspace`);
  const extra = extraSetOf(fixed, ctx, wsReal);
  const out = fixed.out;
  const secretFiles = ctx.secretFiles;
  const reason = refusalReason(rel, extra.has(rel) ? null : out, { secretFiles, isDir: () => statSyncOrNull(abs)?.isDirectory() === true });
  if (reason !== null) throw new PathRefusedError(`refused: ${p} ${reason}`);

  const real = realpathOfDeepestSync(abs, p);
  const relReal = relativeInside(wsReal, real);
  if (relReal === null) throw new PathRefusedError(`refused: ${p} is a symlink that leads outside the workspace`);
  if (relReal !== rel) {
    const realReason = refusalReason(relReal, extra.has(relReal) ? null : out, { secretFiles, isDir: () => statSyncOrNull(real)?.isDirectory() === true });
    if (realReason !== null) throw new PathRefusedError(`refused: ${p} resolves to ${relReal}, which ${realReason}`);
  }
  return { abs: real, rel };
}

/**
 * What the guard derives from a context alone (resolved workspace, output root, extra files),
 * kept per context object and recomputed when one of its fields is replaced. The workspace's
 * real path is looked up on every call, so a workspace symlink that changes is still followed.
 */
interface FixedParts {
  workspace: string;
  outputRoot: string;
  extraReadable: string[] | undefined;
  ws: string;
  /**
   * The workspace's real path, resolved once per context (an agent attempt): every guarded path
   * is checked against it, and resolving it per call was a syscall per tool call for nothing.
   */
  wsReal: string;
  out: string | null;
  extra: ReadonlySet<string | null> | null;
  extraFor: string | null;
}

const fixedByCtx = new WeakMap<GuardContext, FixedParts>();

function fixedPartsOfSync(ctx: GuardContext): FixedParts {
  let f = fixedByCtx.get(ctx);
  if (!f || f.workspace !== ctx.workspace || f.outputRoot !== ctx.outputRoot || f.extraReadable !== ctx.extraReadable) {
    f = {
      workspace: ctx.workspace, outputRoot: ctx.outputRoot, extraReadable: ctx.extraReadable,
      ws: path.resolve(ctx.workspace), wsReal: realpathSync(path.resolve(ctx.workspace)), out: outputRootRel(ctx), extra: null, extraFor: null,
    };
    fixedByCtx.set(ctx, f);
  }
  return f;
}

/** The extra readable files as workspace-relative paths (either spelling of the workspace). */
function extraSetOf(f: FixedParts, ctx: GuardContext, wsReal: string): ReadonlySet<string | null> {
  const list = ctx.extraReadable ?? [];
  if (list.length === 0) return NO_EXTRA;
  // The array may be changed in place: the set is reused only for the same contents.
  const key = `${wsReal}\0${list.join('\0')}`;
  if (f.extra === null || f.extraFor !== key) {
    f.extra = new Set(list.map((e) => relativeInside(f.ws, path.resolve(e)) ?? relativeInside(wsReal, path.resolve(e))));
    f.extraFor = key;
  }
  return f.extra;
}

/**
 * The whole guard (`checkPathSync`): the real absolute path to open, or a thrown `PathRefusedError`.
 * Its core is a handful of lstat-sized syscalls, so one synchronous implementation
 * (`guardPathSync`) serves the tools and the synchronous plan validator alike.
 */
export function resolveInsideSync(ctx: GuardContext, p: string): string {
  return checkPathSync(ctx, p).abs;
}

function realpathOfDeepestSync(abs: string, display: string): string {
  const missing: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(realpathSync(cur), ...[...missing].reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') throw new PathRefusedError(`refused: ${display} is a looping symlink`);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      // The entry exists but cannot be resolved: a dangling symlink, whose target could be created later.
      if (lstatSyncOrNull(cur) !== null) throw new PathRefusedError(`refused: ${display} is a broken symlink`);
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      missing.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** The focus as clean workspace-relative paths; empty when it covers the whole workspace. */
export function focusOf(ctx: GuardContext): string[] {
  const list = (ctx.focus ?? []).map((f) => segmentsOf(f).join('/'));
  return list.includes('') ? [] : list;
}

/** True when `rel` is inside one of the `focus` paths (or there is no focus). */
export function insideFocus(focus: readonly string[], rel: string): boolean {
  return focus.length === 0 || focus.some((f) => rel === f || rel.startsWith(`${f}/`));
}

/** True when `rel` is a folder above one of the `focus` paths ('' is above every one). */
export function aboveFocus(focus: readonly string[], rel: string): boolean {
  return focus.some((f) => rel === '' || f.startsWith(`${rel}/`));
}

/** A guarded path with what the guard learnt of it on the way: its stat, null when it does not exist. */
export interface CheckedPath extends GuardedPath { stat: Stats | null }

/**
 * The whole guard for a tool: `guardPathSync`, then the agent's focus and the ignore rules (each
 * folder on the way, and the real path of a symlink too). `aboveFocusOk` lets a walk start at a
 * folder above the focus (it then shows only what is inside). Refusals name the path and why, and
 * say how to see an ignored file.
 *
 * Synchronous, like `guardPathSync`, and named so (it was an async `guardPath`): it has just resolved the same path with realpath,
 * so the stat of the result and the few `.gitignore` files on its way (most of them absent) are
 * answered from the kernel's caches in microseconds, where a thread-pool round trip each cost
 * about 50 µs of CPU on every tool call.
 */

export function checkPathSync(ctx: GuardContext, p: string, opts: { aboveFocusOk?: boolean } = {}): CheckedPath {
  const g = guardPathSync(ctx, p);
  const stat = statSyncOrNull(g.abs);
  const extra = ctx.extraReadable?.length ? extraSetOf(fixedPartsOfSync(ctx), ctx, fixedPartsOfSync(ctx).wsReal) : NO_EXTRA;
  if (extra.has(g.rel)) return { ...g, stat };
  const focus = focusOf(ctx);
  if (!insideFocus(focus, g.rel) && !(opts.aboveFocusOk === true && aboveFocus(focus, g.rel))) {
    throw new PathRefusedError(`refused: ${p} is outside this agent's focus (${focus.join(', ')}); stay inside it`);
  }
  const rules = ignoreRulesOf(ctx);
  if (!rules.empty) {
    const isDir = stat?.isDirectory() === true;
    const reason = rules.reasonForPathSync(g.rel, isDir);
    if (reason !== null) throw new PathRefusedError(`refused: ${p} ${reason}${hintFor(reason)}`);
    const relReal = relativeInside(fixedPartsOfSync(ctx).wsReal, g.abs);
    if (relReal !== null && relReal !== g.rel) {
      const realReason = rules.reasonForPathSync(relReal, isDir);
      if (realReason !== null) throw new PathRefusedError(`refused: ${p} resolves to ${relReal}, which ${realReason}${hintFor(realReason)}`);
    }
  }
  return { ...g, stat };
}

/** Git-ignored files can be let in by a setting; an agent cannot change it, but it can tell the user. */
function hintFor(reason: string): string {
  return reason.includes('ignored by') ? ' (the includeIgnored setting lets agents read ignored files)' : '';
}
