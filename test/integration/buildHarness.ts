/** Git workspaces for the build pattern's tests: a committed copy of the demo shop, and its state to compare. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeWorkspace } from './harness';

const ID = ['-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false'];

export function git(cwd: string, args: string[]): string {
  return execFileSync('git', [...ID, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The demo shop as a git repository with one commit on `main` (its .env included, as in a careless repo). */
export function gitWorkspace(): string {
  const ws = makeWorkspace();
  git(ws, ['init', '-q', '-b', 'main']);
  git(ws, ['add', '-A']);
  git(ws, ['commit', '-q', '-m', 'Initial commit']);
  return ws;
}

/** A folder for worktrees outside every workspace (the setting worktreesDir), one per test. */
export const worktreesDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'orch-wt-'));

/** What must not change before the user applies: HEAD, the branch, the index, the working tree, worktrees, branches. */
export function repoState(ws: string): { head: string; branch: string; status: string; staged: string; worktrees: string; branches: string } {
  return {
    head: git(ws, ['rev-parse', 'HEAD']).trim(),
    branch: git(ws, ['symbolic-ref', 'HEAD']).trim(),
    status: git(ws, ['status', '--porcelain']),
    staged: git(ws, ['diff', '--cached', '--name-only']),
    worktrees: git(ws, ['worktree', 'list', '--porcelain']),
    branches: git(ws, ['branch', '--list', '--all']),
  };
}
