/**
 * The path guard every worker tool, the workspace walk and the plan validator go through, and the
 * secret-path rules it applies.
 *
 * Invariants: nothing outside the workspace, inside `.git/`, `node_modules/` or the output root (bar
 * `extraReadable`), or secret-looking is ever let through; symlinks are judged by their real path.
 */
import { realpathSync as realpathSyncJs } from 'node:fs';
import * as path from 'node:path';
import { lstatSyncOrNull } from '../files';

/**
 * One realpath(3) syscall instead of an lstat per path segment. Windows keeps the JS version, whose
 * answers for mapped drives and UNC paths differ from the native one.
 */
const realpathSync: (p: string) => string = process.platform === 'win32' ? realpathSyncJs : realpathSyncJs.native;

/** What the path guard needs from a context; `ToolContext` satisfies it. */
export interface GuardContext {
  /** Absolute workspace root. */
  workspace: string;
  /** Workspace-relative output root, e.g. `.orchestration`; never readable. */
  outputRoot: string;
  /** Absolute paths of files inside the output root this agent may read (a coordinator's worker files). */
  extraReadable?: string[];
}

/** Thrown for a path the guard refuses; its message names the path and the reason. */
export class PathRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathRefusedError';
  }
}

const SECRET_DIRS = new Set(['.aws', '.ssh', '.gnupg']);
const SECRET_NAMES: readonly RegExp[] = [
  /^\.env$/, /^\.env\./, /^\.envrc$/,
  /\.(pem|key|p12|pfx|keystore|jks|kdbx)$/,
  /^id_(rsa|dsa|ecdsa|ed25519)/,
  /^(\.npmrc|\.netrc|_netrc|\.pgpass|\.git-credentials)$/,
  /^credentials.*\.json$/, /^secrets\./,
];

function segmentsOf(rel: string): string[] {
  return rel.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
}

/** Why a (lower-cased) path looks secret, or null. Every segment is checked, so `.ssh/x` and `x.pem/y` both count. */
function secretReason(lowerSegments: string[]): string | null {
  for (const seg of lowerSegments) {
    if (SECRET_DIRS.has(seg)) return `is inside ${seg}/, a folder of secrets`;
    if (SECRET_NAMES.some((re) => re.test(seg))) return 'looks like a secret file';
  }
  return null;
}

/**
 * True for paths that look like credentials: `.env`, `.env.*`, keys and certificates, ssh keys,
 * `.npmrc`/`.netrc`/`.pgpass`, `credentials*.json`, `secrets.*`, password databases, and anything
 * under `.aws/`, `.ssh/` or `.gnupg/`. Case-insensitive (some file systems are).
 */
export function isSecretPath(rel: string): boolean {
  return secretReason(segmentsOf(rel).map((s) => s.toLowerCase())) !== null;
}

/**
 * The policy half of the guard, on a workspace-relative path: why it may not be read, or null.
 * Pass `outputRoot: null` to skip the output-root rule (for an `extraReadable` file).
 */
export function refusalReason(rel: string, outputRoot: string | null): string | null {
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
  return secretReason(lower);
}

/** `abs` relative to `root` in posix form ('' for the root itself), or null when it is not inside. */
export function relativeInside(root: string, abs: string): string | null {
  const rel = path.relative(root, abs);
  if (rel === '') return '';
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return null;
  return rel.split(path.sep).join('/');
}

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
  const fixed = fixedPartsOf(ctx);
  const ws = fixed.ws;
  const wsReal = realpathSync(ws);
  const abs = path.resolve(ws, p);
  // The workspace may itself sit behind a symlink (/tmp on macOS), so accept either spelling.
  const rel = relativeInside(ws, abs) ?? relativeInside(wsReal, abs);
  if (rel === null) throw new PathRefusedError(`refused: ${p} is outside the workspace`);
  const extra = extraSetOf(fixed, ctx, wsReal);
  const out = fixed.out;
  const reason = refusalReason(rel, extra.has(rel) ? null : out);
  if (reason !== null) throw new PathRefusedError(`refused: ${p} ${reason}`);

  const real = realpathOfDeepest(abs, p);
  const relReal = relativeInside(wsReal, real);
  if (relReal === null) throw new PathRefusedError(`refused: ${p} is a symlink that leads outside the workspace`);
  if (relReal !== rel) {
    const realReason = refusalReason(relReal, extra.has(relReal) ? null : out);
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
  out: string | null;
  extra: ReadonlySet<string | null> | null;
  extraFor: string | null;
}

const fixedByCtx = new WeakMap<GuardContext, FixedParts>();

function fixedPartsOf(ctx: GuardContext): FixedParts {
  let f = fixedByCtx.get(ctx);
  if (!f || f.workspace !== ctx.workspace || f.outputRoot !== ctx.outputRoot || f.extraReadable !== ctx.extraReadable) {
    f = {
      workspace: ctx.workspace, outputRoot: ctx.outputRoot, extraReadable: ctx.extraReadable,
      ws: path.resolve(ctx.workspace), out: outputRootRel(ctx), extra: null, extraFor: null,
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
 * The path guard: the real absolute path to open, or a thrown `PathRefusedError`. The checks are a
 * handful of lstat-sized syscalls, so one synchronous implementation (`guardPathSync`) serves the
 * tools and the synchronous plan validator alike, and the two can never drift apart.
 */
export async function resolveInside(ctx: GuardContext, p: string): Promise<string> {
  return guardPathSync(ctx, p).abs;
}

function realpathOfDeepest(abs: string, display: string): string {
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
