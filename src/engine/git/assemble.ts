/**
 * Assembling approved builder branches into one result: each merged in order into the run's
 * integration worktree (`orchestration/<runId>/integration`), a conflict named and left out.
 *
 * Invariants: only the integration worktree and branch change, never the user's work tree, index
 * or branch; a conflict is aborted (`git merge --abort`) and reported with its files, never
 * resolved by one side overwriting the other; every call starts over from `base`, so assembling
 * again (after a resume, or with more approvals) gives the same result for the same input.
 */
import { lstatOrNull } from '../files';
import { GitError, gitText, resolveCommit, runGit, splitZ, type RepoInfo } from './git';
import { ensureWorktree, worktreePath } from './worktrees';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';

export interface AssembleResult {
  /** The sha of the integration result (base itself when nothing merged). */
  ref: string;
  /** Agent ids whose branches merged, in order. */
  merged: string[];
  /** Branches left out, each with the files that conflicted (empty when the merge failed otherwise) and why. */
  conflicts: Array<{ agentId: string; files: string[]; message: string }>;
  /** The integration worktree's root, where a check on the result runs. */
  worktree?: string;
}

export interface AssembleOptions {
  repo: RepoInfo;
  runId: string;
  /** The id of the worktree and branch merged into (the pattern's integration step). */
  into: string;
  /** The commit the builders branched from. */
  base: string;
  /** The approved branches, in the order to merge them. */
  branches: ReadonlyArray<{ agentId: string; branch: string }>;
  rootOverride?: string | null;
  /** Folders linked into the integration worktree (worktreeLinks), so the check can run there. */
  linkDirs?: readonly string[];
}

function list(files: readonly string[]): string {
  return files.length <= 10 ? files.join(', ') : `${files.slice(0, 10).join(', ')} and ${files.length - 10} more`;
}

/**
 * Merges `branches` in order into the run's integration worktree, reset to `base` first. Each merge
 * is a merge commit (`--no-ff`) by the engine, hooks off. A branch that conflicts is aborted and
 * named in `conflicts` with its files; the rest go on. Never touches the user's work tree, index or
 * branch.
 */
export async function assemble(o: AssembleOptions): Promise<AssembleResult> {
  const base = await resolveCommit(o.repo.root, o.base);
  const ensure = () => ensureWorktree({ repo: o.repo, runId: o.runId, agentId: o.into, base, rootOverride: o.rootOverride, linkDirs: o.linkDirs ?? [] });
  const cwd = (await ensure()).root;
  await startOver(cwd, base, o.linkDirs);
  const merged: string[] = [];
  const conflicts: AssembleResult['conflicts'] = [];
  for (const { agentId, branch } of o.branches) {
    const c = await mergeOne(cwd, agentId, branch);
    if (c) conflicts.push(c);
    else merged.push(agentId);
  }
  // A conflict's `git clean -x` removes the links with everything else untracked, and a link below
  // a folder may not match its `-e` pattern: then they are made again, so the check can run.
  if (o.linkDirs?.length && (conflicts.length || o.linkDirs.some((d) => /[\\/]/.test(d)))) await ensure();
  const ref = await gitText(['rev-parse', '--verify', 'HEAD'], { cwd, readOnly: true });
  return { ref, merged, conflicts, worktree: cwd };
}

/**
 * Merges one more branch into the integration worktree as it stands (after a fixer's commits, say),
 * with the same rules as `assemble`: a conflict is aborted and returned, never resolved. Returns the
 * new HEAD, or the conflict.
 */
export async function mergeIntoIntegration(o: {
  repo: RepoInfo; runId: string; into: string; base: string; rootOverride?: string | null; linkDirs?: readonly string[]; agentId: string; branch: string;
}): Promise<{ ok: true; ref: string } | { ok: false; conflict: AssembleResult['conflicts'][number] }> {
  const cwd = worktreePath(o.repo.root, o.runId, o.into, o.rootOverride);
  const c = await mergeOne(cwd, o.agentId, o.branch);
  if (c) {
    if (o.linkDirs?.length) await ensureWorktree({ repo: o.repo, runId: o.runId, agentId: o.into, base: o.base, rootOverride: o.rootOverride, linkDirs: o.linkDirs });
    return { ok: false, conflict: c };
  }
  return { ok: true, ref: await gitText(['rev-parse', '--verify', 'HEAD'], { cwd, readOnly: true }) };
}

/** One `git merge --no-ff` into `cwd`; the conflict (aborted, tree back at HEAD) or null when it merged. */
async function mergeOne(cwd: string, agentId: string, branch: string): Promise<AssembleResult['conflicts'][number] | null> {
  if (branch.startsWith('-') || branch.trim() === '') {
    return { agentId, files: [], message: `${agentId}: ${JSON.stringify(branch)} is not a branch name; left out` };
  }
  let r;
  try {
    r = await runGit(
      ['merge', '--no-ff', '--no-edit', '--no-verify-signatures', '--no-gpg-sign', '-m', `Merge ${agentId} (${branch})`, branch],
      { cwd, engineIdentity: true, okCodes: [1] },
    );
  } catch (err) {
    await startOver(cwd, 'HEAD');
    const why = err instanceof GitError ? err.stderr || err.message : String(err);
    return { agentId, files: [], message: `${agentId}'s branch ${branch} could not be merged, so it was left out: ${why}` };
  }
  if (r.code === 0) return null;
  const unmerged = await runGit(['diff', '--name-only', '--diff-filter=U', '-z'], { cwd, readOnly: true });
  const files = [...new Set(splitZ(unmerged.stdout))].sort();
  await runGit(['merge', '--abort'], { cwd, okCodes: [128] });
  await startOver(cwd, 'HEAD');
  const what = r.stdout.toString('utf8').split('\n').filter((l) => l.startsWith('CONFLICT')).slice(0, 5).join(' ');
  return {
    agentId, files,
    message: files.length > 0
      ? `${agentId}'s changes conflict with changes merged before it in ${list(files)}; its branch ${branch} was left out`
      : `${agentId}'s branch ${branch} could not be merged, so it was left out: ${what || r.stderr || 'git merge failed'}`,
  };
}

/**
 * Resets the integration worktree to `rev` with nothing else in it: an interrupted merge (kill -9
 * mid-merge leaves MERGE_HEAD and maybe a lock) or an earlier assembly are both wiped.
 */
async function startOver(cwd: string, rev: string, keep: readonly string[] = []): Promise<void> {
  const admin = await gitText(['rev-parse', '--absolute-git-dir'], { cwd, readOnly: true });
  if (await lstatOrNull(path.join(admin, 'index.lock'))) await fsp.rm(path.join(admin, 'index.lock'), { force: true });
  await runGit(['reset', '--hard', '--quiet', rev], { cwd });
  // `keep`: the engine's links (node_modules) survive, as `-e` patterns hold even under -x.
  await runGit(['clean', '-ffdxq', ...keep.flatMap((k) => ['-e', k])], { cwd });
}
