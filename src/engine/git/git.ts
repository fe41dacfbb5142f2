/**
 * Running git: one `execFile('git', args)` wrapper (never a shell), its errors, and what a
 * workspace's repository is (`repoInfo`). Everything in src/engine/git goes through `runGit`.
 *
 * Invariants: every call gets `core.quotepath=off`, `LC_ALL=C`, no terminal prompts, hooks off, a
 * timeout and a buffer big enough for a large patch; read-only calls take no optional locks, so
 * `git status` never rewrites the user's index; variables a git hook exports (`GIT_DIR`,
 * `GIT_INDEX_FILE`, …) are dropped, so a call always acts on the repository its `cwd` names; and
 * git gets no credentials (`childEnv`): nothing the engine runs needs a remote.
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { statSyncOrNull } from '../files';
import { relativeInside } from '../paths';
import { childEnv } from '../redact';

/** A git command failed; the message names the command and what git said. */
export class GitError extends Error {
  constructor(message: string, readonly command: string = '', readonly stderr: string = '', readonly exitCode: number | null = null) {
    super(message);
    this.name = 'GitError';
  }
}

/** How to make a folder a repository with a first commit, which worktrees need to branch from. */
export const START_A_REPOSITORY = 'git init && git add -A && git commit -m "Initial commit"';

/** The workspace is not in a git repository, or its repository has no commit yet. */
export class NotARepositoryError extends GitError {
  constructor(message: string) {
    super(message);
    this.name = 'NotARepositoryError';
  }
}

/** Who the engine's own commits (in its worktrees, never on the user's branches) are by. */
export const ENGINE_IDENTITY = { name: 'Scaled Agent Orchestration', email: 'orchestration@localhost' } as const;

const DEFAULT_TIMEOUT_MS = 120_000;
/** Patches of a large change can run to tens of megabytes; git's output is never cut. */
const MAX_BUFFER = 512 * 1024 * 1024;

/**
 * Set by git for its hooks and by wrappers; inherited, they would point our calls at another
 * repository, index or work tree than the `cwd` we give.
 */
export const REPO_ENV: readonly string[] = [
  'GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_PREFIX', 'GIT_NAMESPACE', 'GIT_CEILING_DIRECTORIES',
  'GIT_DISCOVERY_ACROSS_FILESYSTEM', 'GIT_LITERAL_PATHSPECS', 'GIT_GLOB_PATHSPECS', 'GIT_NOGLOB_PATHSPECS',
  'GIT_ICASE_PATHSPECS', 'GIT_EXTERNAL_DIFF', 'GIT_DIFF_OPTS', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT',
  'GIT_EDITOR', 'GIT_SEQUENCE_EDITOR', 'GIT_PAGER',
];

/**
 * Config for every call. Hooks off (a repository's hooks are the user's, not ours to run);
 * no fsmonitor daemon started in a throwaway worktree; no automatic gc or maintenance in the
 * middle of a run; no recorded conflict resolutions or signing that would make a merge or
 * commit depend on the user's setup; no pager or colour in output we parse.
 */
const BASE_CONFIG = [
  'core.quotepath=off', 'core.hooksPath=/dev/null', 'core.fsmonitor=false', 'core.pager=cat',
  'color.ui=false', 'gc.auto=0', 'maintenance.auto=false', 'rerere.enabled=false',
  'commit.gpgsign=false', 'tag.gpgsign=false', 'advice.detachedHead=false',
];

export interface GitOptions {
  /** The folder git runs in; it finds the repository from there. */
  cwd: string;
  /** A command that only reads: no optional locks (`git status` then leaves the index alone). */
  readOnly?: boolean;
  /** Commit as the engine (author and committer from the environment; no user config needed or changed). */
  engineIdentity?: boolean;
  /** Exit codes that are answers, not failures (e.g. 1 of `git diff --quiet`). */
  okCodes?: readonly number[];
  timeoutMs?: number;
  /** A scratch index (`GIT_INDEX_FILE`) instead of the repository's: Ship builds a tree without touching the user's index. */
  indexFile?: string;
}

export interface GitOutput { stdout: Buffer; stderr: string; code: number }

function gitEnv(o: GitOptions): NodeJS.ProcessEnv {
  const env = childEnv();
  for (const k of REPO_ENV) delete env[k];
  env.LC_ALL = 'C';
  env.LANGUAGE = 'C';
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_ASKPASS = '';
  env.SSH_ASKPASS = '';
  env.GCM_INTERACTIVE = 'never';
  env.GIT_MERGE_AUTOEDIT = 'no';
  if (o.indexFile !== undefined) env.GIT_INDEX_FILE = o.indexFile;
  if (o.readOnly === true) env.GIT_OPTIONAL_LOCKS = '0';
  else delete env.GIT_OPTIONAL_LOCKS;
  if (o.engineIdentity === true) {
    env.GIT_AUTHOR_NAME = ENGINE_IDENTITY.name;
    env.GIT_AUTHOR_EMAIL = ENGINE_IDENTITY.email;
    env.GIT_COMMITTER_NAME = ENGINE_IDENTITY.name;
    env.GIT_COMMITTER_EMAIL = ENGINE_IDENTITY.email;
  }
  return env;
}

/** `git <args>` for messages: arguments with spaces quoted, long ones cut. */
export function describeCommand(args: readonly string[]): string {
  const shown = args.map((a) => {
    const cut = a.length > 120 ? `${a.slice(0, 117)}...` : a;
    return /[\s"']/.test(cut) ? JSON.stringify(cut) : cut;
  });
  return `git ${shown.join(' ')}`;
}

/**
 * Runs `git <args>` with `execFile` (no shell). Resolves with the output when the exit code is 0
 * or in `okCodes`; otherwise rejects with a `GitError` naming the command and git's stderr.
 */
export function runGit(args: readonly string[], o: GitOptions): Promise<GitOutput> {
  const full = BASE_CONFIG.flatMap((c) => ['-c', c]).concat(args);
  const command = describeCommand(args);
  return new Promise((resolve, reject) => {
    execFile('git', full, {
      cwd: o.cwd, env: gitEnv(o), encoding: 'buffer', maxBuffer: MAX_BUFFER,
      timeout: o.timeoutMs ?? DEFAULT_TIMEOUT_MS, killSignal: 'SIGKILL', windowsHide: true,
    }, (err, stdout, stderrBuf) => {
      const stderr = stderrBuf.toString('utf8').trim();
      if (!err) {
        resolve({ stdout, stderr, code: 0 });
        return;
      }
      const e = err;
      if (typeof e.code === 'string') {
        // Node reports a missing cwd as the spawn's ENOENT too; tell the two apart.
        const why = e.code === 'ENOENT'
          ? (statSyncOrNull(o.cwd)?.isDirectory() ? 'git is not installed or not on PATH; install git and try again' : `the folder ${o.cwd} does not exist`)
          : e.message;
        reject(new GitError(`${command} could not run: ${why}`, command, stderr, null));
        return;
      }
      const code = typeof e.code === 'number' ? e.code : null;
      if (code !== null && o.okCodes?.includes(code)) {
        resolve({ stdout, stderr, code });
        return;
      }
      if (e.killed === true || e.signal) {
        reject(new GitError(`${command} was stopped after ${Math.round((o.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s (signal ${e.signal ?? 'unknown'})`, command, stderr, code));
        return;
      }
      reject(new GitError(`${command} failed (exit ${code ?? '?'}): ${stderr || stdout.toString('utf8').trim() || e.message}`, command, stderr, code));
    });
  });
}

/** `runGit`, its stdout as trimmed text. */
export async function gitText(args: readonly string[], o: GitOptions): Promise<string> {
  return (await runGit(args, o)).stdout.toString('utf8').trim();
}

/** NUL-separated output as its fields (the last, empty one dropped). */
export function splitZ(buf: Buffer): string[] {
  const parts = buf.toString('utf8').split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** What the engine needs to know of the repository a workspace is in. */
export interface RepoInfo {
  /** Absolute path of the repository's top-level folder (the work tree the workspace is in). */
  root: string;
  /** The full sha of HEAD when asked. */
  head: string;
  /** The checked-out branch (short name), null when HEAD is detached. */
  branch: string | null;
  /** The workspace folder relative to `root`, '/'-separated; '' when it is the root. */
  workspaceInRepo: string;
}

function notARepository(workspace: string): NotARepositoryError {
  return new NotARepositoryError(
    `${workspace} is not in a git repository. Builders work on branches of your repository, so it needs one with a first commit; `
    + `in a terminal in that folder run: ${START_A_REPOSITORY}`,
  );
}

/** The top-level folder of the work tree `workspace` is in; NotARepositoryError when there is none. */
export async function repoRootOf(workspace: string): Promise<string> {
  let top: string;
  try {
    top = await gitText(['rev-parse', '--show-toplevel'], { cwd: workspace, readOnly: true });
  } catch (err) {
    if (err instanceof GitError && /not a git repository|must be run in a work tree/i.test(err.stderr)) throw notARepository(workspace);
    throw err;
  }
  if (top === '') throw notARepository(workspace);
  return path.resolve(top);
}

/**
 * The repository `workspace` is in: its root, HEAD and branch. Throws `NotARepositoryError` (which
 * says how to start one) when there is no repository or it has no commit yet.
 */
export async function repoInfo(workspace: string): Promise<RepoInfo> {
  const root = await repoRootOf(workspace);
  const headOut = await runGit(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { cwd: root, readOnly: true, okCodes: [1, 128] });
  const head = headOut.stdout.toString('utf8').trim();
  if (headOut.code !== 0 || !/^[0-9a-f]{40,64}$/.test(head)) {
    throw new NotARepositoryError(
      `The git repository at ${root} has no commit yet, and builders branch from one. Make the first commit: ${START_A_REPOSITORY}`,
    );
  }
  const sym = await runGit(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: root, readOnly: true, okCodes: [1] });
  const branch = sym.code === 0 ? sym.stdout.toString('utf8').trim() || null : null;
  // git reports the top level with symlinks resolved; so is the workspace, before comparing.
  const wsReal = await realOrSelf(path.resolve(workspace));
  const rel = relativeInside(await realOrSelf(root), wsReal) ?? relativeInside(root, path.resolve(workspace));
  if (rel === null) throw new GitError(`${workspace} is not inside its repository's top level ${root}`);
  return { root, head, branch, workspaceInRepo: rel };
}

async function realOrSelf(p: string): Promise<string> {
  return fsp.realpath(p).catch(() => p);
}

/** True when `name` resolves to a commit in the repository at `cwd`. */
export async function commitExists(cwd: string, name: string): Promise<boolean> {
  const r = await runGit(['rev-parse', '--verify', '--quiet', `${name}^{commit}`], { cwd, readOnly: true, okCodes: [1, 128] });
  return r.code === 0;
}

/** The full sha `rev` names (a commit). */
export async function resolveCommit(cwd: string, rev: string): Promise<string> {
  return gitText(['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`], { cwd, readOnly: true });
}

/**
 * Per-repository queue for commands that change shared repository state (`.git/worktrees`, refs,
 * packed-refs): parallel builders each `worktree add` at the same moment, and git's own locks
 * answer a collision with a failure, not a wait.
 */
const queues = new Map<string, Promise<unknown>>();

export function withRepoLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const key = path.resolve(root);
  const prev = queues.get(key) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  const tail = next.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return next;
}
