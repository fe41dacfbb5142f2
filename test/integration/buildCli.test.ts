/** The build pattern from the CLI: plan, build, diff, apply and discard; kill -9 mid-build, then resume. */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerSnapshot } from '../../src/engine/types';
import { git, gitWorkspace, repoState, worktreesDir } from './buildHarness';
import { CLI, cliAsync, makeWorkspace, readJson, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });
beforeAll(() => { if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)'); });

const TASK = 'Add a doc comment to every source file';

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env, ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake!.server.url };
  return e;
}

const cli = (args: string[]) => cliAsync(args, env());

const runIdOf = (ws: string): string => readdirSync(path.join(ws, '.orchestration')).find((n) => /^\d{8}-/.test(n))!;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('orchestrate diff | apply | discard', () => {
  it('shows the proposed change, applies it to the working tree without committing, and leaves no worktree behind', async () => {
    const ws = gitWorkspace();
    const wt = worktreesDir();
    fake = await startFake(ws);
    const before = repoState(ws);
    const run = await cli(['run', TASK, '--pattern', 'build', '--yes', '--workspace', ws, '--set', `worktreesDir=${wt}`]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/orchestrate apply/);
    const id = runIdOf(ws);
    expect(repoState(ws).status).toBe(before.status);

    const stat = await cli(['diff', id, '--stat', '--workspace', ws]);
    expect(stat.code).toBe(0);
    expect(stat.stdout).toMatch(/modified\s+\+1\s+-0\s+src\/api\/orders\.js/);
    const diff = await cli(['diff', id, '--workspace', ws]);
    expect(diff.stdout).toBe(readFileSync(path.join(ws, '.orchestration', id, 'changes.patch'), 'utf8'));

    const one = await cli(['apply', id, '--file', 'src/api/orders.js', '--workspace', ws, '--set', `worktreesDir=${wt}`]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/Applied 1 file/);
    expect(one.stdout).toMatch(/Still proposed:/);
    expect(readFileSync(path.join(ws, 'src/api/orders.js'), 'utf8')).toMatch(/Simulated doc comment/);
    const rest = await cli(['apply', id, '--workspace', ws, '--set', `worktreesDir=${wt}`]);
    expect(rest.code, rest.stderr).toBe(0);
    const after = repoState(ws);
    expect([after.head, after.branch, after.staged, after.worktrees, after.branches]).toEqual([before.head, before.branch, '', before.worktrees, before.branches]);
    const again = await cli(['apply', id, '--workspace', ws]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already applied/);
    // Discard after a full apply discards nothing, and says so.
    const late = await cli(['discard', id, '--workspace', ws, '--set', `worktreesDir=${wt}`]);
    expect(late.code, late.stderr).toBe(0);
    expect(late.stdout.trim()).toMatch(/^Nothing to discard: all \d+ files of run \S+ were already applied\.$/);
  });

  it('discards: worktrees and branches as before, files untouched; diff of a run without changes says why', async () => {
    const ws = gitWorkspace();
    const wt = worktreesDir();
    fake = await startFake(ws);
    const before = repoState(ws);
    expect((await cli(['run', TASK, '--pattern', 'build', '--yes', '--workspace', ws, '--set', `worktreesDir=${wt}`])).code).toBe(0);
    const id = runIdOf(ws);
    const d = await cli(['discard', id, '--workspace', ws, '--set', `worktreesDir=${wt}`]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/^Discarded \d+ proposed file changes? of run \S+ and its \d+ worktrees? and \d+ branch(es)?; your working tree was not touched\./);
    expect(repoState(ws)).toEqual(before);

    const plain = makeWorkspace();
    await fake.close();
    fake = await startFake(plain);
    const audit = await cli(['run', 'Audit this repo for security issues', '--yes', '--workspace', plain]);
    expect(audit.code).toBe(0);
    const none = await cli(['diff', runIdOf(plain), '--workspace', plain]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/has no proposed change/);
  });

  it('refuses a build in a folder that is not a git repository, with how to start one (exit 2 before any request)', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws);
    const r = await cli(['run', TASK, '--pattern', 'build', '--yes', '--workspace', ws]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not in a git repository[\s\S]*git init && git add -A && git commit/);
    expect(fake.log).toEqual([]);
  });
});

describe('kill -9 during a build', () => {
  it('leaves the user\'s tree and branches as they were; resume continues the builders in their worktrees', async () => {
    const ws = gitWorkspace();
    const wt = worktreesDir();
    fake = await startFake(ws, undefined, { latencyMs: () => 150 });
    const before = repoState(ws);
    const child = spawn(process.execPath, [CLI, 'run', TASK, '--pattern', 'build', '--yes', '--workspace', ws, '--set', `worktreesDir=${wt}`], { env: env(), stdio: 'ignore' });
    let builders: string[] = [];
    for (let i = 0; i < 400 && builders.length === 0; i++) {
      await sleep(50);
      try {
        const snap = readJson<LedgerSnapshot>(path.join(ws, '.orchestration', runIdOf(ws), 'ledger.json'));
        builders = snap.agents.filter((a) => a.role === 'builder' && a.status === 'running').map((a) => a.id);
      } catch { /* not written yet */ }
    }
    expect(builders.length).toBeGreaterThan(0);
    await sleep(200);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const cut = repoState(ws);
    expect([cut.head, cut.branch, cut.status, cut.staged]).toEqual([before.head, before.branch, before.status, before.staged]);
    const worktreesAtKill = [...cut.worktrees.matchAll(/^worktree (.+)$/gm)].map((m) => m[1]).filter((p) => p.startsWith(wt));
    expect(worktreesAtKill.length).toBeGreaterThan(0);

    const id = runIdOf(ws);
    const resumed = await cli(['resume', id, '--workspace', ws, '--set', `worktreesDir=${wt}`]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = repoState(ws);
    const worktreesAfter = [...after.worktrees.matchAll(/^worktree (.+)$/gm)].map((m) => m[1]).filter((p) => p.startsWith(wt));
    // The worktrees made before the kill are the ones the resumed builders used: no second copy of any.
    for (const p of worktreesAtKill) expect(worktreesAfter).toContain(p);
    expect(new Set(worktreesAfter).size).toBe(worktreesAfter.length);
    expect([after.head, after.branch, after.status, after.staged]).toEqual([before.head, before.branch, before.status, before.staged]);
    git(ws, ['apply', '--check', path.join(ws, '.orchestration', id, 'changes.patch')]);
    expect(readJson<LedgerSnapshot>(path.join(ws, '.orchestration', id, 'ledger.json')).status).toBe('completed');
    // Discard cleans up after the crash too: worktrees and branches as before the run.
    expect((await cli(['discard', id, '--workspace', ws, '--set', `worktreesDir=${wt}`])).code).toBe(0);
    expect(repoState(ws)).toEqual(before);
  });
});
