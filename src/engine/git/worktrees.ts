/**
 * The run's worktrees and branches: where they live (outside the workspace), creating or reusing
 * one per builder, committing a builder's work on its branch, and removing all of a run's.
 *
 * Invariants: nothing here touches the user's work tree, index, HEAD or branches: the only refs
 * written are `refs/heads/orchestration/<runId>/*`, the only folders the run's own under the
 * worktrees root. Removing a run removes exactly what it added, so `git worktree list` and
 * `git branch` read as before it; symlinks the engine made (the `node_modules` link) are unlinked,
 * never followed, and never committed.
 */
import { createHash } from 'node:crypto';
import { promises as fsp, realpathSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lstatOrNull, lstatSyncOrNull, statOrNull, writeFileAtomic } from '../files';
import { isInside, relativeInside } from '../paths';
import { GitError, gitText, repoRootOf, resolveCommit, runGit, withRepoLock, type RepoInfo } from './git';

/** The folder under the cache root that holds every repository's run worktrees. */
export const WORKTREES_SUBDIR = path.join('scaled-agent-orchestration', 'worktrees');
/** What `ensureWorktree` links into a worktree unless told otherwise. */
export const DEFAULT_LINK_DIRS: readonly string[] = ['node_modules'];
/** Beside a worktree's own git files (per worktree, gone with it): the links the engine made there. */
const LINKS_FILE = 'orchestration-links';

/** A run id or agent id as one safe path segment and git ref component. */
function checkId(kind: string, id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(id) || id.includes('..') || id.endsWith('.') || id.toLowerCase().endsWith('.lock')) {
    throw new GitError(`${kind} ${JSON.stringify(id)} cannot name a branch or folder: use letters, digits, ".", "_" and "-", starting with a letter or digit`);
  }
}

/** `orchestration/<runId>/<agentId>`: the branch of one agent's worktree. */
export function branchName(runId: string, agentId: string): string {
  checkId('run id', runId);
  checkId('agent id', agentId);
  return `orchestration/${runId}/${agentId}`;
}

/** Every branch of a run starts with this ref prefix. */
function runRefPrefix(runId: string): string {
  checkId('run id', runId);
  return `refs/heads/orchestration/${runId}/`;
}

/**
 * The default root of all worktrees: the platform's per-user cache folder, so they sit outside
 * every workspace (VS Code's explorer, search, watcher and Source Control never see them).
 */
export function defaultWorktreesRoot(): string {
  const home = os.homedir();
  let cache: string;
  if (process.platform === 'win32') {
    cache = process.env.LOCALAPPDATA || path.join(home, 'AppData', 'Local');
  } else if (process.platform === 'darwin') {
    cache = path.join(home, 'Library', 'Caches');
  } else {
    const xdg = process.env.XDG_CACHE_HOME;
    // The XDG spec says a relative value is to be ignored.
    cache = xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache');
  }
  return path.join(cache, WORKTREES_SUBDIR);
}

/** The worktrees root: the override (`~` expanded; relative to the repository) or the default. */
export function worktreesRoot(repoRoot: string, rootOverride?: string | null): string {
  if (rootOverride === undefined || rootOverride === null || rootOverride.trim() === '') return defaultWorktreesRoot();
  const o = rootOverride.trim();
  const expanded = o === '~' || o.startsWith('~/') || o.startsWith('~\\') ? path.join(os.homedir(), o.slice(1)) : o;
  return path.resolve(repoRoot, expanded);
}

/** `<repo basename>-<8 hex of sha1(repo root)>`: readable, and distinct for two clones of the same name. */
function repoFolderName(repoRoot: string): string {
  const abs = path.resolve(repoRoot);
  const base = path.basename(abs).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 60) || 'repo';
  return `${base}-${createHash('sha1').update(abs).digest('hex').slice(0, 8)}`;
}

/** The folder holding all of one run's worktrees. */
export function runWorktreesDir(repoRoot: string, runId: string, rootOverride?: string | null): string {
  checkId('run id', runId);
  return path.join(worktreesRoot(repoRoot, rootOverride), repoFolderName(repoRoot), runId);
}

/**
 * Where one agent's worktree lives, outside the workspace:
 * `<worktrees root>/<repo basename>-<8 hex of sha1(repo root)>/<runId>/<agentId>`.
 */
export function worktreePath(repoRoot: string, runId: string, agentId: string, rootOverride?: string | null): string {
  checkId('agent id', agentId);
  return path.join(runWorktreesDir(repoRoot, runId, rootOverride), agentId);
}

/** A worktree inside the repository would show in the user's `git status` and explorer. */
function assertOutsideRepo(repoRoot: string, wt: string): void {
  if (isInside(repoRoot, wt)) {
    throw new GitError(`The worktrees folder ${path.dirname(path.dirname(path.dirname(wt)))} is inside the repository ${repoRoot}; choose a folder outside it (the worktreesDir setting)`);
  }
}

/** One entry of `git worktree list --porcelain`. */
export interface WorktreeEntry { path: string; head: string | null; branch: string | null; locked: boolean; prunable: boolean }

/** The repository's worktrees, the main one first. */
export async function listWorktrees(repoRoot: string): Promise<WorktreeEntry[]> {
  // Without -z (git ≥ 2.36 only): our paths never hold a newline.
  const text = await gitText(['worktree', 'list', '--porcelain'], { cwd: repoRoot, readOnly: true });
  const out: WorktreeEntry[] = [];
  let cur: WorktreeEntry | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('worktree ')) {
      cur = { path: path.resolve(line.slice('worktree '.length)), head: null, branch: null, locked: false, prunable: false };
      out.push(cur);
    } else if (cur) {
      if (line.startsWith('HEAD ')) cur.head = line.slice(5);
      else if (line.startsWith('branch ')) cur.branch = line.slice(7);
      else if (line === 'locked' || line.startsWith('locked ')) cur.locked = true;
      else if (line === 'prunable' || line.startsWith('prunable ')) cur.prunable = true;
    }
  }
  return out;
}

function samePathSync(a: string, b: string): boolean {
  return path.resolve(realOrSelfSync(a)) === path.resolve(realOrSelfSync(b));
}

function realOrSelfSync(p: string): string {
  // The folder may be gone (a crashed run's stale entry): compare its real parent then.
  const st = lstatSyncOrNull(p);
  try {
    return st ? realpathSync.native(p) : path.join(realpathSync.native(path.dirname(p)), path.basename(p));
  } catch {
    return p;
  }
}

/** The worktree's own git folder (`.git/worktrees/<name>` of the main repository), from its `.git` file. */
async function adminDirOf(wt: string): Promise<string | null> {
  try {
    const text = await fsp.readFile(path.join(wt, '.git'), 'utf8');
    const m = /^gitdir:\s*(.+?)\s*$/m.exec(text);
    return m ? path.resolve(wt, m[1]) : null;
  } catch {
    return null;
  }
}

/** Worktree-relative paths of the links the engine made in `wt`. */
async function linksOf(wt: string): Promise<string[]> {
  const admin = await adminDirOf(wt);
  if (!admin) return [];
  try {
    return (await fsp.readFile(path.join(admin, LINKS_FILE), 'utf8')).split('\n').filter((l) => l !== '' && relativeInside(wt, path.resolve(wt, l)) !== null);
  } catch {
    return [];
  }
}

/** Unlinks the engine's links in `wt` (never following them), so nothing below can reach the user's folders. */
async function unlinkLinks(wt: string): Promise<void> {
  for (const rel of await linksOf(wt)) {
    const abs = path.join(wt, rel);
    if (!(await lstatOrNull(abs))?.isSymbolicLink()) continue;
    try {
      await fsp.unlink(abs);
    } catch {
      // A Windows junction is a directory to some calls.
      await fsp.rmdir(abs);
    }
  }
}

/**
 * A lock file left by a process killed mid-command (kill -9) would fail every later command in
 * this worktree. Only the engine works in its worktrees, and it calls this before resuming one.
 */
async function clearStaleIndexLock(wt: string): Promise<void> {
  const admin = await adminDirOf(wt);
  if (admin) await fsp.rm(path.join(admin, 'index.lock'), { force: true });
}

async function branchExists(repoRoot: string, branch: string): Promise<boolean> {
  const r = await runGit(['show-ref', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: repoRoot, readOnly: true, okCodes: [1] });
  return r.code === 0;
}

export interface EnsureWorktreeOptions {
  repo: RepoInfo;
  runId: string;
  agentId: string;
  /** The commit (or any name of one) a new branch starts at: the workspace's HEAD when the run began. */
  base: string;
  rootOverride?: string | null;
  /** Workspace-relative folders to link from the user's workspace when the worktree lacks them; default ['node_modules']. */
  linkDirs?: readonly string[];
}

export interface EnsuredWorktree {
  /** The worktree's root folder. */
  root: string;
  /** The workspace folder inside it (`path.join(root, repo.workspaceInRepo)`): the builder's tool workspace. */
  workspace: string;
  branch: string;
}

/**
 * The agent's worktree on its branch, created from `base` (`git worktree add -b`), or the existing
 * one reused as it is, so a resumed builder continues from its edits. A branch whose worktree is
 * gone (a crashed run) is checked out again; a leftover folder that git does not know is replaced.
 * Then each `linkDirs` folder that the user's workspace has and the worktree lacks is linked
 * (a symlink; a junction on Windows) so `npm test` works there without copying; the links are
 * recorded beside the worktree's git files and never committed.
 */
export async function ensureWorktree(o: EnsureWorktreeOptions): Promise<EnsuredWorktree> {
  const branch = branchName(o.runId, o.agentId);
  const wt = worktreePath(o.repo.root, o.runId, o.agentId, o.rootOverride);
  assertOutsideRepo(o.repo.root, wt);
  await withRepoLock(o.repo.root, async () => {
    const list = await listWorktrees(o.repo.root);
    const mine = list.find((w) => w.branch === `refs/heads/${branch}`);
    if (mine && !mine.prunable && samePathSync(mine.path, wt) && (await statOrNull(path.join(wt, '.git')))) {
      await clearStaleIndexLock(wt);
      return;
    }
    // Whatever is left of an earlier attempt is the engine's own: a stale entry, a half-made folder.
    if (mine) {
      if (mine === list[0] || !isEnginesWorktree(mine, o.runId, path.dirname(wt))) {
        throw new GitError(`The branch ${branch} is checked out at ${mine.path}, which is not one of the engine's worktrees; switch that folder to another branch and try again`);
      }
      await removeWorktree(o.repo.root, mine.path);
    }
    const atPath = list.find((w) => samePathSync(w.path, wt));
    if (atPath && atPath !== mine) await removeWorktree(o.repo.root, atPath.path);
    if (await lstatOrNull(wt)) {
      await unlinkLinks(wt);
      await fsp.rm(wt, { recursive: true, force: true });
    }
    await fsp.mkdir(path.dirname(wt), { recursive: true });
    const longOp = { cwd: o.repo.root, timeoutMs: 600_000 };
    if (await branchExists(o.repo.root, branch)) {
      await runGit(['worktree', 'add', '--quiet', wt, branch], longOp);
    } else {
      const base = await resolveCommit(o.repo.root, o.base);
      // --no-track: nothing is written to the user's .git/config for our branch.
      await runGit(['worktree', 'add', '--quiet', '--no-track', '-b', branch, wt, base], longOp);
    }
  });
  await linkDirs(o.repo, wt, o.linkDirs ?? DEFAULT_LINK_DIRS);
  return { root: wt, workspace: path.join(wt, o.repo.workspaceInRepo), branch };
}

/**
 * The repository-relative places to link `name` from: the workspace folder's, and for a plain
 * folder name also each folder above it up to the repository root, as Node looks up
 * `node_modules` (a workspace opened at `packages/app` of a monorepo needs the root's too).
 */
function linkPlaces(repo: RepoInfo, name: string): string[] {
  const rel = relativeInside(repo.root, path.resolve(repo.root, repo.workspaceInRepo, name));
  if (rel === null || rel === '' || rel.split('/').some((s) => s.toLowerCase() === '.git')) {
    throw new GitError(`cannot link ${JSON.stringify(name)} into a worktree: it must be a folder inside the repository`);
  }
  if (/[\\/]/.test(name) || repo.workspaceInRepo === '') return [rel];
  const places = [rel];
  const parts = repo.workspaceInRepo.split('/');
  while (parts.length > 0) {
    parts.pop();
    places.push([...parts, name].join('/'));
  }
  return places;
}

async function linkDirs(repo: RepoInfo, wt: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const made = new Set(await linksOf(wt));
  const before = made.size;
  for (const rel of names.flatMap((n) => linkPlaces(repo, n))) {
    const src = path.join(repo.root, rel);
    const dst = path.join(wt, rel);
    // Only what the user has and the worktree lacks (a tracked folder of that name stays as it is).
    if (!(await statOrNull(src))?.isDirectory() || (await lstatOrNull(dst))) continue;
    await fsp.mkdir(path.dirname(dst), { recursive: true });
    await fsp.symlink(src, dst, 'junction');
    made.add(rel);
  }
  const admin = await adminDirOf(wt);
  if (admin && made.size !== before) await writeFileAtomic(path.join(admin, LINKS_FILE), [...made].join('\n') + '\n');
}

/**
 * Stages and commits everything in the worktree on its branch, as the engine (no user config needed
 * or changed), hooks off; the engine's links are left out. The new commit's sha, or null when
 * nothing changed. Files the repository's ignore rules hide are not committed, as in any commit.
 */
export async function commitWorktree(worktreeRoot: string, message: string): Promise<string | null> {
  const wt = path.resolve(worktreeRoot);
  const excludes: string[] = [];
  for (const rel of await linksOf(wt)) {
    if ((await lstatOrNull(path.join(wt, rel)))?.isSymbolicLink()) excludes.push(`:(top,exclude,literal)${rel}`);
  }
  await runGit(['add', '--all', '--', ':(top)', ...excludes], { cwd: wt });
  const staged = await runGit(['diff', '--cached', '--quiet', '--no-ext-diff'], { cwd: wt, okCodes: [1] });
  if (staged.code === 0) return null;
  await runGit(['commit', '--quiet', '--no-verify', '--no-gpg-sign', '--allow-empty-message', '-m', message], { cwd: wt, engineIdentity: true });
  return gitText(['rev-parse', '--verify', 'HEAD'], { cwd: wt, readOnly: true });
}

/**
 * Removes one worktree of the engine's: its links unlinked first, then `git worktree remove
 * --force --force` (locked, dirty or with its folder already gone). An older git that will not
 * remove a missing folder's entry gets that entry's admin folder removed, which is all `git
 * worktree prune` would do for it, without pruning the user's own stale entries.
 */
async function removeWorktree(repoRoot: string, wt: string): Promise<void> {
  await unlinkLinks(wt);
  try {
    await runGit(['worktree', 'remove', '--force', '--force', wt], { cwd: repoRoot });
  } catch (err) {
    if (await lstatOrNull(wt)) throw err;
    await removeAdminEntryFor(repoRoot, wt);
  }
  if (await lstatOrNull(wt)) await fsp.rm(wt, { recursive: true, force: true });
}

async function removeAdminEntryFor(repoRoot: string, wt: string): Promise<void> {
  const common = path.resolve(repoRoot, await gitText(['rev-parse', '--git-common-dir'], { cwd: repoRoot, readOnly: true }));
  const dir = path.join(common, 'worktrees');
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const gitdir = await fsp.readFile(path.join(dir, name, 'gitdir'), 'utf8').catch(() => null);
    if (gitdir !== null && samePathSync(path.dirname(gitdir.trim()), wt)) await fsp.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

/**
 * True for a worktree this run's engine made: inside the run's folder, or on one of the run's
 * branches and either gone (stale) or laid out as `<…>/<runId>/<agentId>` (made under another
 * worktrees root). A folder of the user's on such a branch is never force-removed.
 */
function isEnginesWorktree(w: WorktreeEntry, runId: string, runDir: string): boolean {
  if (isInside(runDir, w.path)) return true;
  const prefix = runRefPrefix(runId);
  if (!w.branch?.startsWith(prefix)) return false;
  if (w.prunable) return true;
  return path.basename(w.path) === w.branch.slice(prefix.length) && path.basename(path.dirname(w.path)) === runId;
}

export interface DiscardRunOptions {
  /** The repository, or a workspace folder inside it. */
  repo: RepoInfo | string;
  runId: string;
  rootOverride?: string | null;
}

/**
 * Removes every worktree and branch of the run (`orchestration/<runId>/*`, the integration one
 * too), stale ones of a crashed process included, and the run's worktrees folder. What the run
 * added is all that goes, so `git worktree list` and `git branch` read as before it. Safe to call
 * twice. A branch that cannot go (checked out in a worktree of the user's) is named in the error,
 * after everything else is removed. Returns how many worktrees and branches it removed.
 */
export async function discardRun(o: DiscardRunOptions): Promise<{ worktrees: number; branches: number }> {
  const root = typeof o.repo === 'string' ? await repoRootOf(o.repo) : o.repo.root;
  const prefix = runRefPrefix(o.runId);
  const runDir = runWorktreesDir(root, o.runId, o.rootOverride);
  const failures: string[] = [];
  const removed = { worktrees: 0, branches: 0 };
  await withRepoLock(root, async () => {
    const list = await listWorktrees(root);
    for (const w of list.slice(1)) {
      if (isEnginesWorktree(w, o.runId, runDir)) { await removeWorktree(root, w.path); removed.worktrees++; }
    }
    const refs = (await gitText(['for-each-ref', '--format=%(refname)', prefix], { cwd: root, readOnly: true }))
      .split('\n').filter((r) => r.startsWith(prefix));
    for (const ref of refs) {
      // `git branch -D` refuses a branch checked out in some worktree: never orphan a HEAD.
      const r = await runGit(['branch', '-D', ref.slice('refs/heads/'.length)], { cwd: root, okCodes: [1] });
      if (r.code !== 0) failures.push(r.stderr.replace(/^error:\s*/i, ''));
      else removed.branches++;
    }
  });
  if (await lstatOrNull(runDir)) await fsp.rm(runDir, { recursive: true, force: true });
  // The repository's folder under the root goes when its last run does.
  await fsp.rmdir(path.dirname(runDir)).catch(() => undefined);
  if (failures.length > 0) throw new GitError(`Removed the run's worktrees, but not every branch: ${failures.join('; ')}`);
  return removed;
}
