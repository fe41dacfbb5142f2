import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, promises as fs, readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ApplyRefusedError, applyPatch, applyRunChanges, assemble, branchName, commitWorktree, defaultWorktreesRoot, diffFiles,
  describeDiscard, discardRun, discardRunChanges, ensureWorktree, fileAt, NotARepositoryError, patchBetween, readChangeSet, recordChanges,
  mergeIntoIntegration, repoInfo, worktreePath, writePatch, type RepoInfo,
} from '../../src/engine/git';

/**
 * The test's own git, as a user at a terminal would run it: with an identity (the engine needs
 * none), and past the hostile hooks and signing the test repository is set up with.
 */
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgsign=false', ...args], {
    cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GIT_AUTHOR_NAME: 'User', GIT_AUTHOR_EMAIL: 'user@example.com', GIT_COMMITTER_NAME: 'User', GIT_COMMITTER_EMAIL: 'user@example.com' },
  });
}

let tmp: string;
let repoDir: string;
let ws: string;
let wtRoot: string;
let repo: RepoInfo;
const RUN = '20250101-120000-abcd';
/** The worktree `assemble` merges into: the caller's (the build pattern's integration step). */
const INTO = 'assembly';
const savedEnv: Record<string, string | undefined> = {};

function put(root: string, rel: string, content: string | Buffer): void {
  const abs = path.join(root, rel);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, content);
}

const read = (root: string, rel: string): string => readFileSync(path.join(root, rel), 'utf8');
const lines = (n: number, tag = 'line'): string => Array.from({ length: n }, (_, i) => `${tag} ${i + 1}`).join('\n') + '\n';

/** What must never change in the user's repository: HEAD, its branch, the index, the work tree. */
function userState(): { head: string; sym: string; cached: string; status: string; branches: string; worktrees: string; config: string } {
  return {
    config: read(repoDir, '.git/config'),
    head: git(repoDir, 'rev-parse', 'HEAD'),
    sym: git(repoDir, 'symbolic-ref', 'HEAD'),
    cached: git(repoDir, 'diff', '--cached'),
    status: git(repoDir, 'status', '--porcelain', '--untracked-files=all'),
    branches: git(repoDir, 'branch', '--list', '--format=%(refname)', '--', ':!orchestration/*').split('\n').filter((b) => !b.includes('orchestration/')).join('\n'),
    worktrees: git(repoDir, 'worktree', 'list', '--porcelain').split('\n\n')[0],
  };
}

beforeAll(async () => {
  // No user git config at all: the engine must need none (identity, settings) to work.
  const cfgDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sao-gitcfg-'));
  writeFileSync(path.join(cfgDir, 'gitconfig'), '');
  for (const k of ['GIT_CONFIG_GLOBAL', 'GIT_CONFIG_NOSYSTEM']) savedEnv[k] = process.env[k];
  process.env.GIT_CONFIG_GLOBAL = path.join(cfgDir, 'gitconfig');
  process.env.GIT_CONFIG_NOSYSTEM = '1';
});

afterAll(() => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

beforeEach(async () => {
  tmp = realpathSync(await fs.mkdtemp(path.join(os.tmpdir(), 'sao-git-')));
  repoDir = path.join(tmp, 'my repo');
  ws = path.join(repoDir, 'app');
  wtRoot = path.join(tmp, 'worktrees');
  mkdirSync(repoDir);
  git(repoDir, 'init', '-q', '-b', 'main');
  put(ws, 'a.ts', lines(10, 'a'));
  put(ws, 'b.ts', lines(10, 'b'));
  put(ws, 'gone.ts', 'to be deleted\n');
  put(ws, 'run.sh', '#!/bin/sh\necho hi\n');
  chmodSync(path.join(ws, 'run.sh'), 0o755);
  put(repoDir, 'README.md', '# repo\n');
  git(repoDir, 'add', '-A');
  git(repoDir, 'commit', '-q', '-m', 'initial');
  // Settings and hooks a user may have, which the engine's calls must not depend on or run.
  git(repoDir, 'config', 'diff.noprefix', 'true');
  git(repoDir, 'config', 'merge.ff', 'only');
  git(repoDir, 'config', 'commit.gpgsign', 'true');
  git(repoDir, 'config', 'merge.verifySignatures', 'true');
  for (const hook of ['pre-commit', 'post-checkout', 'pre-merge-commit', 'commit-msg']) {
    put(repoDir, `.git/hooks/${hook}`, `#!/bin/sh\necho ran >> "${path.join(tmp, 'hooks-ran')}"\nexit 1\n`);
    chmodSync(path.join(repoDir, '.git/hooks', hook), 0o755);
  }
  // Dependencies, not ignored: the engine's node_modules link must stay out of commits by itself.
  put(ws, 'node_modules/dep/index.js', 'module.exports = 42;\n');
  repo = await repoInfo(ws);
});

afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function builder(agentId: string, edit: (wsInWorktree: string) => void): Promise<{ root: string; branch: string; sha: string | null }> {
  const wt = await ensureWorktree({ repo, runId: RUN, agentId, base: repo.head, rootOverride: wtRoot });
  edit(wt.workspace);
  const sha = await commitWorktree(wt.root, `${agentId}: work`);
  return { root: wt.root, branch: wt.branch, sha };
}

describe('repoInfo', () => {
  it('names the repository, the branch and where the workspace sits in it', async () => {
    expect(repo.root).toBe(repoDir);
    expect(repo.head).toBe(git(repoDir, 'rev-parse', 'HEAD').trim());
    expect(repo.branch).toBe('main');
    expect(repo.workspaceInRepo).toBe('app');
    expect((await repoInfo(repoDir)).workspaceInRepo).toBe('');
  });

  it('says how to start a repository when the folder is not in one', async () => {
    const plain = path.join(tmp, 'plain');
    mkdirSync(plain);
    const err = await repoInfo(plain).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotARepositoryError);
    expect((err as Error).message).toContain('is not in a git repository');
    expect((err as Error).message).toContain('git init && git add -A && git commit -m "Initial commit"');
  });

  it('names a workspace folder that does not exist, rather than blaming git', async () => {
    await expect(repoInfo(path.join(tmp, 'missing'))).rejects.toThrow(/the folder .*missing does not exist/);
  });

  it('says to make the first commit when HEAD is unborn', async () => {
    const fresh = path.join(tmp, 'fresh');
    mkdirSync(fresh);
    git(fresh, 'init', '-q');
    const err = await repoInfo(fresh).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotARepositoryError);
    expect((err as Error).message).toMatch(/no commit yet/);
    expect((err as Error).message).toContain('git commit -m "Initial commit"');
  });
});

describe('worktrees', () => {
  it('puts the default root in the per-user cache, outside any workspace', () => {
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = '/var/cache-test';
    try {
      const p = worktreePath('/home/u/src/shop', RUN, 'b1');
      if (process.platform === 'linux') {
        expect(defaultWorktreesRoot()).toBe('/var/cache-test/scaled-agent-orchestration/worktrees');
        expect(p).toMatch(new RegExp(`^/var/cache-test/scaled-agent-orchestration/worktrees/shop-[0-9a-f]{8}/${RUN}/b1$`));
      }
      // Two clones with the same name get different folders.
      expect(path.dirname(path.dirname(worktreePath('/a/shop', RUN, 'b1')))).not.toBe(path.dirname(path.dirname(worktreePath('/b/shop', RUN, 'b1'))));
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
    expect(branchName(RUN, 'b1')).toBe(`orchestration/${RUN}/b1`);
    expect(() => branchName(RUN, '../x')).toThrow(/cannot name a branch/);
  });

  it('creates a worktree outside the workspace on its own branch, and reuses it with its edits', async () => {
    const before = userState();
    const wt = await ensureWorktree({ repo, runId: RUN, agentId: 'b1', base: repo.head, rootOverride: wtRoot });
    expect(wt.root).toBe(worktreePath(repoDir, RUN, 'b1', wtRoot));
    expect(wt.root.startsWith(repoDir)).toBe(false);
    expect(wt.workspace).toBe(path.join(wt.root, 'app'));
    expect(wt.branch).toBe(`orchestration/${RUN}/b1`);
    expect(git(wt.root, 'symbolic-ref', '--short', 'HEAD').trim()).toBe(wt.branch);
    expect(git(repoDir, 'worktree', 'list')).toContain(wt.root);
    expect(read(wt.workspace, 'a.ts')).toBe(lines(10, 'a'));

    put(wt.workspace, 'a.ts', 'edited\n');
    const again = await ensureWorktree({ repo, runId: RUN, agentId: 'b1', base: repo.head, rootOverride: wtRoot });
    expect(again.root).toBe(wt.root);
    expect(read(wt.workspace, 'a.ts')).toBe('edited\n');
    // Hooks never ran (post-checkout on add, pre-commit on commit would have).
    expect(existsSync(path.join(tmp, 'hooks-ran'))).toBe(false);
    expect(userState()).toEqual(before);
  });

  it('links node_modules into the worktree instead of copying it, and never commits the link', async () => {
    // A monorepo's root node_modules too: Node looks there from the workspace folder below it.
    put(repoDir, 'node_modules/root-dep/index.js', 'module.exports = 1;\n');
    const wt = await ensureWorktree({ repo, runId: RUN, agentId: 'b1', base: repo.head, rootOverride: wtRoot });
    const link = path.join(wt.workspace, 'node_modules');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(realpathSync(link)).toBe(realpathSync(path.join(ws, 'node_modules')));
    expect(read(link, 'dep/index.js')).toContain('42');
    expect(lstatSync(path.join(wt.root, 'node_modules')).isSymbolicLink()).toBe(true);
    expect(read(wt.root, 'node_modules/root-dep/index.js')).toContain('1');

    put(wt.workspace, 'b.ts', 'changed\n');
    const sha = await commitWorktree(wt.root, 'b1: change b');
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    const tree = git(repoDir, 'ls-tree', '-r', '--name-only', wt.branch);
    expect(tree).toContain('app/b.ts');
    expect(tree).not.toContain('node_modules');
    // The link is still there for the next check run, and the user's folder is untouched.
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(read(ws, 'node_modules/dep/index.js')).toContain('42');
  });

  it('commits as the engine, with hooks off, and returns null when nothing changed', async () => {
    const before = userState();
    const wt = await ensureWorktree({ repo, runId: RUN, agentId: 'b1', base: repo.head, rootOverride: wtRoot });
    expect(await commitWorktree(wt.root, 'nothing')).toBeNull();
    put(wt.workspace, 'new/file.ts', 'export const x = 1;\n');
    const sha = await commitWorktree(wt.root, 'b1: add file');
    expect(git(repoDir, 'rev-parse', wt.branch).trim()).toBe(sha);
    expect(git(repoDir, 'log', '-1', '--format=%an <%ae>|%s', sha!).trim()).toBe('Scaled Agent Orchestration <orchestration@localhost>|b1: add file');
    expect(git(repoDir, 'rev-parse', `${sha}^`).trim()).toBe(repo.head);
    expect(existsSync(path.join(tmp, 'hooks-ran'))).toBe(false);
    expect(await commitWorktree(wt.root, 'again')).toBeNull();
    expect(userState()).toEqual(before);
  });
});

describe('diffs and patches', () => {
  it('counts lines per file, binary files apart', async () => {
    const b = await builder('b1', (w) => {
      put(w, 'a.ts', lines(10, 'a').replace('a 3\n', 'A3\nA3b\n'));
      put(w, 'c.ts', 'one\ntwo\n');
      put(w, 'img.bin', Buffer.from([0, 1, 2, 3, 0, 255]));
      unlinkSync(path.join(w, 'gone.ts'));
    });
    const files = await diffFiles(repoDir, repo.head, b.branch);
    expect(files).toEqual([
      { path: 'app/a.ts', status: 'modified', added: 2, removed: 1, binary: false },
      { path: 'app/c.ts', status: 'added', added: 2, removed: 0, binary: false },
      { path: 'app/gone.ts', status: 'deleted', added: 0, removed: 1, binary: false },
      { path: 'app/img.bin', status: 'added', added: 0, removed: 0, binary: true },
    ]);
  });

  it('makes a patch that git apply accepts in a fresh clone, whatever diff settings the repository has', async () => {
    const b = await builder('b1', (w) => {
      put(w, 'a.ts', 'rewritten\n');
      put(w, 'ü file.ts', 'unicode name\n');
      put(w, 'img.bin', Buffer.from([0, 1, 2, 3, 0, 255]));
    });
    const patch = await patchBetween(repoDir, repo.head, b.branch);
    expect(patch).toContain('diff --git a/app/a.ts b/app/a.ts');
    expect(patch).toContain('GIT binary patch');
    const clone = path.join(tmp, 'clone');
    git(tmp, 'clone', '-q', repoDir, clone);
    git(clone, 'checkout', '-q', repo.head);
    const file = path.join(tmp, 'changes.patch');
    await writePatch(repoDir, repo.head, b.branch, file);
    expect(readFileSync(file, 'utf8')).toBe(patch);
    git(clone, 'apply', '--check', file);
    git(clone, 'apply', file);
    expect(read(clone, 'app/a.ts')).toBe('rewritten\n');
    expect(read(clone, 'app/ü file.ts')).toBe('unicode name\n');
    expect(readFileSync(path.join(clone, 'app/img.bin'))).toEqual(Buffer.from([0, 1, 2, 3, 0, 255]));
  });

  it('reads a file at a ref, null where it is absent', async () => {
    const b = await builder('b1', (w) => put(w, 'c.ts', 'new\n'));
    expect(await fileAt(repoDir, b.branch, 'app/c.ts')).toBe('new\n');
    expect(await fileAt(repoDir, repo.head, 'app/c.ts')).toBeNull();
    expect(await fileAt(repoDir, repo.head, 'app/a.ts')).toBe(lines(10, 'a'));
    await expect(fileAt(repoDir, 'no-such-ref', 'app/a.ts')).rejects.toThrow(/no-such-ref/);
  });
});

describe('assemble', () => {
  it('merges disjoint branches in order and names a conflicting one, merging the rest', async () => {
    const before = userState();
    const b1 = await builder('b1', (w) => put(w, 'a.ts', lines(10, 'a').replace('a 5', 'b1 was here')));
    const b2 = await builder('b2', (w) => put(w, 'b.ts', lines(10, 'b').replace('b 5', 'b2 was here')));
    const b3 = await builder('b3', (w) => put(w, 'a.ts', lines(10, 'a').replace('a 5', 'b3 disagrees')));
    const b4 = await builder('b4', (w) => put(w, 'c.ts', 'from b4\n'));
    const r = await assemble({
      repo, runId: RUN, into: INTO, base: repo.head, rootOverride: wtRoot,
      branches: [b1, b2, b3, b4].map((b, i) => ({ agentId: `b${i + 1}`, branch: b.branch })),
    });
    expect(r.merged).toEqual(['b1', 'b2', 'b4']);
    expect(r.conflicts).toHaveLength(1);
    expect(r.conflicts[0].agentId).toBe('b3');
    expect(r.conflicts[0].files).toEqual(['app/a.ts']);
    expect(r.conflicts[0].message).toMatch(/b3.*conflict.*app\/a\.ts/);
    expect(await fileAt(repoDir, r.ref, 'app/a.ts')).toContain('b1 was here');
    expect(await fileAt(repoDir, r.ref, 'app/b.ts')).toContain('b2 was here');
    expect(await fileAt(repoDir, r.ref, 'app/c.ts')).toBe('from b4\n');
    // One merge commit per merged branch, even where a fast-forward was possible.
    expect(git(repoDir, 'rev-list', '--merges', '--count', `${repo.head}..${r.ref}`).trim()).toBe('3');
    expect(git(repoDir, 'rev-parse', `orchestration/${RUN}/${INTO}`).trim()).toBe(r.ref);

    // Assembling again starts over from base: same files, whatever was merged before.
    const again = await assemble({ repo, runId: RUN, into: INTO, base: repo.head, rootOverride: wtRoot, branches: [{ agentId: 'b2', branch: b2.branch }] });
    expect(again.merged).toEqual(['b2']);
    expect(await fileAt(repoDir, again.ref, 'app/a.ts')).toBe(lines(10, 'a'));
    expect(userState()).toEqual(before);
    expect(existsSync(path.join(tmp, 'hooks-ran'))).toBe(false);
  });

  it('merges one more branch onto the integration branch as it stands (a fixer\'s commit kept), and names a conflict, leaving HEAD as it was', async () => {
    const b1 = await builder('b1', (w) => put(w, 'a.ts', lines(10, 'a').replace('a 5', 'b1 was here')));
    const r = await assemble({ repo, runId: RUN, into: INTO, base: repo.head, rootOverride: wtRoot, linkDirs: ['node_modules'], branches: [{ agentId: 'b1', branch: b1.branch }] });
    const integration = worktreePath(repoDir, RUN, INTO, wtRoot);
    // The check's node_modules link survives starting over, and is never committed.
    expect(lstatSync(path.join(integration, 'app/node_modules')).isSymbolicLink()).toBe(true);
    put(path.join(integration, 'app'), 'b.ts', lines(10, 'b').replace('b 1', 'fixed'));
    const fix = await commitWorktree(integration, 'fix: round 1');
    expect(await fileAt(repoDir, fix!, 'app/node_modules/dep/index.js')).toBeNull();
    const b2 = await builder('b2', (w) => put(w, 'c.ts', 'from b2\n'));
    const m = await mergeIntoIntegration({ repo, runId: RUN, into: INTO, base: repo.head, rootOverride: wtRoot, linkDirs: ['node_modules'], agentId: 'b2', branch: b2.branch });
    if (!m.ok) throw new Error(m.conflict.message);
    expect(await fileAt(repoDir, m.ref, 'app/b.ts')).toContain('fixed');
    expect(await fileAt(repoDir, m.ref, 'app/a.ts')).toContain('b1 was here');
    expect(await fileAt(repoDir, m.ref, 'app/c.ts')).toBe('from b2\n');
    const b3 = await builder('b3', (w) => put(w, 'a.ts', lines(10, 'a').replace('a 5', 'b3 disagrees')));
    const c = await mergeIntoIntegration({ repo, runId: RUN, into: INTO, base: repo.head, rootOverride: wtRoot, linkDirs: ['node_modules'], agentId: 'b3', branch: b3.branch });
    expect(c).toMatchObject({ ok: false, conflict: { agentId: 'b3', files: ['app/a.ts'] } });
    expect(git(repoDir, 'rev-parse', branchName(RUN, INTO)).trim()).toBe(m.ref);
    expect(lstatSync(path.join(integration, 'app/node_modules')).isSymbolicLink()).toBe(true);
    expect(r.ref).not.toBe(m.ref);
  });

  it('names a branch that does not exist as a gap and goes on', async () => {
    const b1 = await builder('b1', (w) => put(w, 'c.ts', 'x\n'));
    const r = await assemble({
      repo, runId: RUN, into: INTO, base: repo.head, rootOverride: wtRoot,
      branches: [{ agentId: 'b0', branch: `orchestration/${RUN}/b0` }, { agentId: 'b1', branch: b1.branch }],
    });
    expect(r.merged).toEqual(['b1']);
    expect(r.conflicts.map((c) => c.agentId)).toEqual(['b0']);
    expect(r.conflicts[0].message).toMatch(/could not be merged/);
  });
});

describe('applyPatch', () => {
  async function changesPatch(): Promise<string> {
    const b1 = await builder('b1', (w) => {
      put(w, 'a.ts', lines(10, 'a').replace('a 2', 'A2'));
      put(w, 'b.ts', lines(10, 'b').replace('b 2', 'B2'));
      put(w, 'c.ts', 'added\n');
    });
    const file = path.join(tmp, 'changes.patch');
    await writePatch(repoDir, repo.head, b1.branch, file);
    return file;
  }

  it('applies to the work tree only: no index change, no commit, same branch', async () => {
    const file = await changesPatch();
    const head = git(repoDir, 'rev-parse', 'HEAD');
    const r = await applyPatch({ repo, patchFile: file });
    expect(r.applied.sort()).toEqual(['app/a.ts', 'app/b.ts', 'app/c.ts']);
    expect(read(ws, 'a.ts')).toContain('A2');
    expect(read(ws, 'c.ts')).toBe('added\n');
    expect(git(repoDir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(repoDir, 'symbolic-ref', 'HEAD').trim()).toBe('refs/heads/main');
    expect(git(repoDir, 'diff', '--cached')).toBe('');
  });

  it('refuses over a file with uncommitted edits, naming it, and applies nothing', async () => {
    const file = await changesPatch();
    put(ws, 'b.ts', lines(10, 'b') + 'my own edit\n');
    const err = await applyPatch({ repo, patchFile: file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyRefusedError);
    expect((err as ApplyRefusedError).files).toEqual(['app/b.ts']);
    expect((err as Error).message).toMatch(/uncommitted changes: app\/b\.ts/);
    expect(read(ws, 'b.ts')).toBe(lines(10, 'b') + 'my own edit\n');
    expect(read(ws, 'a.ts')).toBe(lines(10, 'a'));
    expect(existsSync(path.join(ws, 'c.ts'))).toBe(false);
  });

  it('refuses over an untracked file where the patch adds one', async () => {
    const file = await changesPatch();
    put(ws, 'c.ts', 'mine\n');
    await expect(applyPatch({ repo, patchFile: file })).rejects.toThrow(/uncommitted changes: app\/c\.ts/);
    expect(read(ws, 'c.ts')).toBe('mine\n');
  });

  it('applies only the chosen files, even when another file is dirty', async () => {
    const file = await changesPatch();
    put(ws, 'b.ts', 'dirty\n');
    const r = await applyPatch({ repo, patchFile: file, files: ['app/a.ts'] });
    expect(r.applied).toEqual(['app/a.ts']);
    expect(read(ws, 'a.ts')).toContain('A2');
    expect(read(ws, 'b.ts')).toBe('dirty\n');
    expect(existsSync(path.join(ws, 'c.ts'))).toBe(false);
    await expect(applyPatch({ repo, patchFile: file, files: ['app/nope.ts'] })).rejects.toThrow(/Not in this change: app\/nope\.ts/);
  });

  it('refuses a patch that no longer applies, naming the file, with nothing half-applied', async () => {
    const file = await changesPatch();
    put(ws, 'b.ts', lines(10, 'b').replace('b 2', 'committed meanwhile'));
    git(repoDir, 'commit', '-q', '-am', 'user work');
    const err = await applyPatch({ repo, patchFile: file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyRefusedError);
    expect((err as ApplyRefusedError).files).toEqual(['app/b.ts']);
    expect((err as Error).message).toMatch(/no longer applies to app\/b\.ts/);
    expect(read(ws, 'a.ts')).toBe(lines(10, 'a'));
    expect(existsSync(path.join(ws, 'c.ts'))).toBe(false);
  });
});

describe('discardRun', () => {
  it('leaves git worktree list and git branch as they were before the run; twice is fine', async () => {
    const wtBefore = git(repoDir, 'worktree', 'list', '--porcelain');
    const brBefore = git(repoDir, 'branch', '--list', '--all');
    const before = userState();
    const b1 = await builder('b1', (w) => put(w, 'a.ts', 'x\n'));
    await builder('b2', (w) => put(w, 'b.ts', 'y\n'));
    await assemble({ repo, runId: RUN, into: INTO, base: repo.head, rootOverride: wtRoot, branches: [{ agentId: 'b1', branch: b1.branch }] });
    expect(git(repoDir, 'branch', '--list')).toContain(`orchestration/${RUN}/${INTO}`);

    await discardRun({ repo: ws, runId: RUN, rootOverride: wtRoot });
    expect(git(repoDir, 'worktree', 'list', '--porcelain')).toBe(wtBefore);
    expect(git(repoDir, 'branch', '--list', '--all')).toBe(brBefore);
    expect(existsSync(path.dirname(worktreePath(repoDir, RUN, 'b1', wtRoot)))).toBe(false);
    // The user's dependencies were linked, never followed on the way out.
    expect(read(ws, 'node_modules/dep/index.js')).toContain('42');
    await discardRun({ repo, runId: RUN, rootOverride: wtRoot });
    expect(git(repoDir, 'worktree', 'list', '--porcelain')).toBe(wtBefore);
    expect(userState()).toEqual(before);
  });

  it('cleans a crashed run: a worktree whose folder is gone, a locked one, a half-made folder', async () => {
    const wtBefore = git(repoDir, 'worktree', 'list', '--porcelain');
    const brBefore = git(repoDir, 'branch', '--list');
    const b1 = await builder('b1', (w) => put(w, 'a.ts', 'x\n'));
    const b2 = await builder('b2', (w) => put(w, 'b.ts', 'y\n'));
    await fs.rm(b1.root, { recursive: true, force: true });
    git(repoDir, 'worktree', 'lock', b2.root);
    put(worktreePath(repoDir, RUN, 'b9', wtRoot), 'leftover.txt', 'half made');
    expect(git(repoDir, 'worktree', 'list', '--porcelain')).toContain('prunable');

    await discardRun({ repo: ws, runId: RUN, rootOverride: wtRoot });
    expect(git(repoDir, 'worktree', 'list', '--porcelain')).toBe(wtBefore);
    expect(git(repoDir, 'branch', '--list')).toBe(brBefore);
    expect(existsSync(path.dirname(b1.root))).toBe(false);
  });

  it('leaves other runs and the user\'s own worktrees alone', async () => {
    const mine = path.join(tmp, 'my-worktree');
    git(repoDir, 'worktree', 'add', '-q', '-b', 'feature', mine);
    const other = await ensureWorktree({ repo, runId: '20250101-120000-ffff', agentId: 'b1', base: repo.head, rootOverride: wtRoot });
    await builder('b1', (w) => put(w, 'a.ts', 'x\n'));
    await discardRun({ repo, runId: RUN, rootOverride: wtRoot });
    const list = git(repoDir, 'worktree', 'list');
    expect(list).toContain(mine);
    expect(list).toContain(other.root);
    expect(git(repoDir, 'branch', '--list')).toContain('feature');
    await discardRun({ repo, runId: '20250101-120000-ffff', rootOverride: wtRoot });
    expect(git(repoDir, 'worktree', 'list')).not.toContain(other.root);
  });

  it('never removes a folder of the user\'s that has a run branch checked out', async () => {
    const b1 = await builder('b1', (w) => put(w, 'a.ts', 'x\n'));
    git(repoDir, 'worktree', 'remove', '--force', b1.root);
    const mine = path.join(tmp, 'mine');
    git(repoDir, 'worktree', 'add', '-q', mine, b1.branch);
    put(mine, 'app/wip.ts', 'work in progress\n');
    await expect(ensureWorktree({ repo, runId: RUN, agentId: 'b1', base: repo.head, rootOverride: wtRoot }))
      .rejects.toThrow(/checked out at .*mine, which is not one of the engine's worktrees/);
    await expect(discardRun({ repo, runId: RUN, rootOverride: wtRoot })).rejects.toThrow(/not every branch: .*b1/);
    expect(read(mine, 'app/wip.ts')).toBe('work in progress\n');
  });

  it('recovers from a kill -9: a stale index.lock in a builder, a merge left half done in the integration', async () => {
    const b1 = await builder('b1', (w) => put(w, 'a.ts', lines(10, 'a').replace('a 5', 'b1 was here')));
    const b3 = await builder('b3', (w) => put(w, 'a.ts', lines(10, 'a').replace('a 5', 'b3 disagrees')));
    await assemble({ repo, runId: RUN, into: INTO, base: repo.head, rootOverride: wtRoot, branches: [{ agentId: 'b1', branch: b1.branch }] });
    const integration = worktreePath(repoDir, RUN, INTO, wtRoot);
    expect(() => git(integration, 'merge', '--no-ff', '--no-verify-signatures', '--no-edit', b3.branch)).toThrow();
    expect(existsSync(path.join(git(integration, 'rev-parse', '--absolute-git-dir').trim(), 'MERGE_HEAD'))).toBe(true);
    writeFileSync(path.join(git(b1.root, 'rev-parse', '--absolute-git-dir').trim(), 'index.lock'), '');

    const wt = await ensureWorktree({ repo, runId: RUN, agentId: 'b1', base: repo.head, rootOverride: wtRoot });
    put(wt.workspace, 'b.ts', 'resumed\n');
    expect(await commitWorktree(wt.root, 'b1: resumed')).toMatch(/^[0-9a-f]{40}$/);
    const r = await assemble({
      repo, runId: RUN, into: INTO, base: repo.head, rootOverride: wtRoot,
      branches: [{ agentId: 'b1', branch: b1.branch }, { agentId: 'b3', branch: b3.branch }],
    });
    expect(r.merged).toEqual(['b1']);
    expect(r.conflicts.map((c) => c.agentId)).toEqual(['b3']);
    expect(await fileAt(repoDir, r.ref, 'app/b.ts')).toBe('resumed\n');
  });

  it('refuses a worktrees folder inside the repository', async () => {
    await expect(ensureWorktree({ repo, runId: RUN, agentId: 'b1', base: repo.head, rootOverride: path.join(repoDir, 'wts') }))
      .rejects.toThrow(/inside the repository/);
    await expect(ensureWorktree({ repo, runId: RUN, agentId: 'b1', base: repo.head, rootOverride: 'wts' }))
      .rejects.toThrow(/inside the repository/);
  });

  it('resumes a builder whose worktree folder vanished from its branch', async () => {
    const b1 = await builder('b1', (w) => put(w, 'a.ts', 'committed work\n'));
    await fs.rm(b1.root, { recursive: true, force: true });
    const wt = await ensureWorktree({ repo, runId: RUN, agentId: 'b1', base: repo.head, rootOverride: wtRoot });
    expect(read(wt.workspace, 'a.ts')).toBe('committed work\n');
  });
});

describe('the run change set', () => {
  async function proposed(runDir: string) {
    const b1 = await builder('b1', (w) => put(w, 'a.ts', lines(10, 'a').replace('a 1', 'A1')));
    const b2 = await builder('b2', (w) => put(w, 'b.ts', lines(10, 'b').replace('b 1', 'B1')));
    const builders = [{ agentId: 'b1', branch: b1.branch }, { agentId: 'b2', branch: b2.branch }];
    const assembled = await assemble({ repo, runId: RUN, into: INTO, base: repo.head, rootOverride: wtRoot, branches: builders });
    return recordChanges({ repo, runDir, base: repo.head, assembled, builders });
  }

  it('records the change, applies one file, then the rest, then the worktrees are gone', async () => {
    const brBefore = git(repoDir, 'branch', '--list');
    const runDir = path.join(ws, '.orchestration', RUN);
    const cs = await proposed(runDir);
    expect(cs.files.map((f) => f.path)).toEqual(['app/a.ts', 'app/b.ts']);
    expect(cs.perAgent.b1).toEqual({ files: [{ path: 'app/a.ts', status: 'modified', added: 1, removed: 1, binary: false }], patch: 'changes/b1.patch' });
    expect(readFileSync(path.join(runDir, 'changes/b2.patch'), 'utf8')).toContain('+B1');
    expect(await readChangeSet(runDir)).toEqual(cs);

    const first = await applyRunChanges({ workspace: ws, runDir, runId: RUN, rootOverride: wtRoot, files: ['app/b.ts'] });
    expect(first).toEqual({ applied: ['app/b.ts'], remaining: ['app/a.ts'] });
    expect((await readChangeSet(runDir))).toMatchObject({ state: 'proposed', appliedFiles: ['app/b.ts'] });
    expect(git(repoDir, 'branch', '--list')).toContain('orchestration/');

    const rest = await applyRunChanges({ workspace: ws, runDir, runId: RUN, rootOverride: wtRoot });
    expect(rest).toEqual({ applied: ['app/a.ts'], remaining: [] });
    expect(read(ws, 'a.ts')).toContain('A1');
    expect(read(ws, 'b.ts')).toContain('B1');
    expect((await readChangeSet(runDir))?.state).toBe('applied');
    expect(git(repoDir, 'branch', '--list')).toBe(brBefore);
    expect(git(repoDir, 'worktree', 'list', '--porcelain').split('\n\n').filter((s) => s.trim()).length).toBe(1);
    await expect(applyRunChanges({ workspace: ws, runDir, runId: RUN, rootOverride: wtRoot })).rejects.toThrow(/already applied/);
    // A discard after everything was applied says so instead of claiming it discarded something.
    const after = await discardRunChanges({ workspace: ws, runDir, runId: RUN, rootOverride: wtRoot });
    expect(after).toEqual({ before: 'applied', discarded: [], applied: ['app/a.ts', 'app/b.ts'], worktrees: 0, branches: 0 });
    expect(describeDiscard(RUN, after)).toBe(`Nothing to discard: all 2 files of run ${RUN} were already applied.`);
    expect((await readChangeSet(runDir))?.state).toBe('applied');
  });

  it('discards only what is still proposed after a partial apply, and says which files stay', async () => {
    const runDir = path.join(ws, '.orchestration', RUN);
    await proposed(runDir);
    await applyRunChanges({ workspace: ws, runDir, runId: RUN, rootOverride: wtRoot, files: ['app/b.ts'] });
    const r = await discardRunChanges({ workspace: ws, runDir, runId: RUN, rootOverride: wtRoot });
    expect(r).toMatchObject({ before: 'proposed', discarded: ['app/a.ts'], applied: ['app/b.ts'] });
    expect(r.worktrees).toBeGreaterThan(0);
    expect(describeDiscard(RUN, r)).toMatch(new RegExp(`^Discarded 1 proposed file change of run ${RUN} and its \\d+ worktrees? and \\d+ branch(es)?; your working tree was not touched \\(1 file applied earlier stays\\)\\.$`));
    const again = await discardRunChanges({ workspace: ws, runDir, runId: RUN, rootOverride: wtRoot });
    expect(describeDiscard(RUN, again)).toBe(`Nothing to discard: the changes of run ${RUN} were already discarded.`);
  });

  it('discards: state discarded, nothing applied, worktrees gone; also with no changes.json', async () => {
    const runDir = path.join(ws, '.orchestration', RUN);
    await proposed(runDir);
    const r = await discardRunChanges({ workspace: ws, runDir, runId: RUN, rootOverride: wtRoot });
    expect(r).toMatchObject({ before: 'proposed', discarded: ['app/a.ts', 'app/b.ts'], applied: [] });
    expect((await readChangeSet(runDir))?.state).toBe('discarded');
    expect(read(ws, 'a.ts')).toBe(lines(10, 'a'));
    expect(git(repoDir, 'branch', '--list')).not.toContain('orchestration/');

    await builder('b1', (w) => put(w, 'a.ts', 'x\n'));
    const crashed = path.join(ws, '.orchestration', 'none');
    const leftovers = await discardRunChanges({ workspace: ws, runDir: crashed, runId: RUN, rootOverride: wtRoot });
    expect(leftovers).toMatchObject({ before: null, discarded: [], branches: 1 });
    expect(describeDiscard(RUN, leftovers)).toMatch(/^Run .+ had no proposed change; removed the 1 worktree and 1 branch it left behind\.$/);
    expect(git(repoDir, 'branch', '--list')).not.toContain('orchestration/');
    expect(await readChangeSet(crashed)).toBeNull();
  });

  it('reads a damaged changes.json as none', async () => {
    const runDir = path.join(tmp, 'run');
    put(runDir, 'changes.json', '{"version": 1, "base": ');
    expect(await readChangeSet(runDir)).toBeNull();
  });
});
