/**
 * Ship's git plumbing: one commit of a run's change on a new branch, made without the user's
 * current branch, index or working tree (DESIGN §4d).
 *
 * Invariants: the tree is built in a scratch index (`GIT_INDEX_FILE` in a temporary folder) from
 * the run's base and its recorded `changes.patch`, so it needs neither the run's worktrees nor the
 * user's index; the commit is `git commit-tree` (no checkout, no HEAD); the branch is created with
 * `git update-ref <ref> <commit> ""`, which git refuses when the ref already exists, so an existing
 * branch is never moved. Every call but the push goes through `runGit`. The push is the one call
 * made as the user's own git (their credentials, hooks and config) because it reaches their remote.
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GitError, gitText, REPO_ENV, runGit, withRepoLock } from './git';

const HEADS = 'refs/heads/';

/** Why `name` cannot be a branch (`git check-ref-format --branch`), or null when it can. */
export async function branchNameProblem(root: string, name: string): Promise<string | null> {
  const n = name.trim();
  if (n === '') return 'a branch name is needed';
  if (n !== name) return 'a branch name has no leading or trailing spaces';
  if (n.startsWith('-')) return `"${name}" starts with "-", which git would read as an option`;
  // `@{-1}` and friends are expanded by --branch; a name that expands is not a plain name.
  if (n.includes('@{')) return `"${name}" is not a plain branch name`;
  const r = await runGit(['check-ref-format', '--branch', n], { cwd: root, readOnly: true, okCodes: [1, 128] });
  if (r.code !== 0) return `"${name}" is not a valid git branch name (git check-ref-format)`;
  return null;
}

/**
 * The refs that stop `branch` from being created: the branch itself, a branch named like one of
 * its folders (`a` for `a/b`), or branches inside it (`a/b/c` for `a/b`): git keeps refs as
 * files, so a ref cannot also be a folder of refs.
 */
export async function branchClashes(root: string, branch: string): Promise<string[]> {
  const out: string[] = [];
  const parts = branch.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const ref = HEADS + parts.slice(0, i).join('/');
    const r = await runGit(['show-ref', '--verify', '--quiet', ref], { cwd: root, readOnly: true, okCodes: [1, 128] });
    if (r.code === 0) out.push(ref);
  }
  const inside = await gitText(['for-each-ref', '--format=%(refname)', `${HEADS}${branch}/`], { cwd: root, readOnly: true });
  out.push(...inside.split('\n').filter((r) => r.startsWith(`${HEADS}${branch}/`)));
  return out;
}

/**
 * The tree of `base` with `patchFile` applied, built in a scratch index in a temporary folder:
 * the user's index and work tree are never read or written.
 */
export async function treeWithPatch(root: string, base: string, patchFile: string): Promise<string> {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'orch-ship-'));
  const indexFile = path.join(tmp, 'index');
  try {
    await runGit(['read-tree', `${base}^{tree}`], { cwd: root, indexFile });
    const r = await runGit(['apply', '--cached', '--whitespace=nowarn', patchFile], { cwd: root, indexFile, okCodes: [1, 128] });
    if (r.code !== 0) throw new GitError(`The run's change does not apply to its base ${base.slice(0, 12)}: ${r.stderr.split('\n').slice(0, 4).join(' ')}`);
    return await gitText(['write-tree'], { cwd: root, indexFile });
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

export interface GitIdentity { name: string; email: string }

/**
 * The user's git identity (config or `GIT_AUTHOR_*`/`GIT_COMMITTER_*`), or null when none is set:
 * `user.useConfigOnly` stops git from making one up from the host name.
 */
export async function userIdentity(root: string): Promise<GitIdentity | null> {
  const r = await runGit(['-c', 'user.useConfigOnly=true', 'var', 'GIT_AUTHOR_IDENT'], { cwd: root, readOnly: true, okCodes: [1, 128] });
  const c = await runGit(['-c', 'user.useConfigOnly=true', 'var', 'GIT_COMMITTER_IDENT'], { cwd: root, readOnly: true, okCodes: [1, 128] });
  if (r.code !== 0 || c.code !== 0) return null;
  const m = /^(.*) <([^>]*)> \d+ [+-]\d{4}$/.exec(r.stdout.toString('utf8').trim());
  return m ? { name: m[1], email: m[2] } : null;
}

export interface CommitChangeOptions {
  root: string;
  tree: string;
  parent: string;
  message: string;
  /** 'user': the user's git identity (their own commit); 'engine': the engine's, when the user has none. */
  identity: 'user' | 'engine';
}

/** A commit of `tree` on `parent` (`git commit-tree`): an object only, no ref moves. */
export async function commitTree(o: CommitChangeOptions): Promise<string> {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'orch-ship-msg-'));
  const file = path.join(tmp, 'message');
  try {
    await fsp.writeFile(file, o.message.endsWith('\n') ? o.message : `${o.message}\n`);
    // -F keeps the message as written: commit-tree does no cleanup of comments or whitespace.
    return await gitText(['commit-tree', o.tree, '-p', o.parent, '-F', file], { cwd: o.root, engineIdentity: o.identity === 'engine' });
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

/** Creates `refs/heads/<branch>` at `commit`; git refuses (a GitError naming it) when the branch exists. */
export async function createBranch(root: string, branch: string, commit: string, reason: string): Promise<void> {
  await withRepoLock(root, async () => {
    const r = await runGit(['update-ref', '-m', reason, `${HEADS}${branch}`, commit, ''], { cwd: root, okCodes: [1, 128] });
    if (r.code !== 0) throw new GitError(`The branch ${branch} could not be created: ${r.stderr || 'it exists'}`);
  });
}

/** The repository's remotes (`git remote`). */
export async function listRemotes(root: string): Promise<string[]> {
  return (await gitText(['remote'], { cwd: root, readOnly: true })).split('\n').map((s) => s.trim()).filter(Boolean);
}

export interface PushOptions {
  root: string;
  remote: string;
  branch: string;
  /** False where no one can answer git's own prompt (VS Code): a credential prompt fails instead of waiting. */
  interactive: boolean;
  timeoutMs?: number;
}

export interface PushResult { ok: boolean; code: number | null; output: string }

/**
 * `git push <remote> refs/heads/<branch>:refs/heads/<branch>`, as the user's own git: their
 * environment (credentials, askpass, SSH agent), config and hooks, none of `runGit`'s pins. Only
 * the variables that would point git at another repository are dropped. The remote must be one of
 * `git remote` (never a URL or an option). Returns git's output whatever the outcome.
 */
export async function pushBranch(o: PushOptions): Promise<PushResult> {
  const remotes = await listRemotes(o.root);
  if (!remotes.includes(o.remote)) {
    throw new GitError(`"${o.remote}" is not a remote of this repository${remotes.length ? ` (its remotes: ${remotes.join(', ')})` : ' (it has none; add one with git remote add)'}`);
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of REPO_ENV) delete env[k];
  if (!o.interactive) env.GIT_TERMINAL_PROMPT = '0';
  const ref = `${HEADS}${o.branch}`;
  return new Promise((resolve) => {
    execFile('git', ['push', o.remote, `${ref}:${ref}`], {
      cwd: o.root, env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: o.timeoutMs ?? 300_000, windowsHide: true,
    }, (err, stdout, stderr) => {
      const output = [stdout, stderr].map((s) => s.trim()).filter(Boolean).join('\n');
      if (!err) { resolve({ ok: true, code: 0, output }); return; }
      const code = typeof err.code === 'number' ? err.code : null;
      const why = err.killed ? `git push was stopped after ${Math.round((o.timeoutMs ?? 300_000) / 1000)} s` : '';
      resolve({ ok: false, code, output: [output, why].filter(Boolean).join('\n') || err.message });
    });
  });
}
