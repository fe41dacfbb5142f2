/** Greenfield builds (issue 17 item 5) through the real engine, the real SDK over HTTP and real git. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { branchName, readChangeSet } from '../../src/engine/git';
import { promptText, roleOf } from '../../src/simulator/conversation';
import { git, repoState, worktreesDir as scratchWorktrees } from './buildHarness';
import { CLI, cliAsync, keylessEnv, orchestrator, startFake, type Fake, type Fault } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });
/** Every folder these tests make (repositories, worktree roots, a scratch tree), removed at the end. */
const made: string[] = [];
afterAll(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });
const keep = (d: string): string => { made.push(d); return d; };
const worktreesDir = (): string => keep(scratchWorktrees());

const TASK = 'Build a small billing service with auth, API and a CLI';

/** An empty repository: one empty commit (builders branch from a commit), no files at all. */
function emptyRepo(): string {
  const ws = keep(mkdtempSync(path.join(os.tmpdir(), 'orch-green-')));
  git(ws, ['init', '-q', '-b', 'main']);
  git(ws, ['commit', '-q', '--allow-empty', '-m', 'Empty repository']);
  return ws;
}

async function plan(ws: string, fault?: Fault, over: Record<string, unknown> = {}) {
  fake = await startFake(ws, fault);
  const wt = worktreesDir();
  const run = await orchestrator(fake, { worktreesDir: wt, ...over }).plan({ task: TASK, pattern: 'build' });
  return { run, wt };
}

type Builder = { id: string; owns: string[] };

describe('a greenfield build', () => {
  it('designs before approval, commits the scaffold first, branches every builder from it, and proposes the new files', async () => {
    const ws = emptyRepo();
    const before = repoState(ws);
    const { run } = await plan(ws);
    expect(run.ledger.status).toBe('awaiting-approval');
    expect(run.plan.greenfield).toBe(true);
    // The architect ran before approval, like the scouts; the scaffold waits for approval.
    expect(run.ledger.get('architect')).toMatchObject({ role: 'architect', tier: 'opus', status: 'completed' });
    expect(run.ledger.get('scaffold')).toMatchObject({ role: 'scaffolder', status: 'pending' });
    const architecture = readFileSync(path.join(run.dir, 'architecture.md'), 'utf8');
    expect(architecture).toMatch(/### billing[\s\S]*Owns: `src\/billing\/`/);
    for (const m of ['auth', 'api', 'cli']) expect(architecture).toContain(`### ${m}`);
    const builders = run.plan.builders as Builder[];
    expect(builders.map((b) => b.owns)).toEqual([['src/billing/'], ['src/auth/'], ['src/api/'], ['src/cli/']]);
    expect(run.plan.shared).toEqual(['package.json', 'src/types.js']);
    for (const b of builders) expect(run.ledger.get(b.id)!.dependsOn).toEqual(['scaffold']);
    expect(repoState(ws)).toEqual(before);

    const outcome = await run.execute();
    expect(outcome.status).toBe('completed');
    const scaffold = JSON.parse(readFileSync(path.join(run.dir, 'scaffold.json'), 'utf8')) as { commit: string; base: string; files: string[] };
    expect(scaffold.base).toBe(before.head);
    expect(scaffold.files).toEqual(expect.arrayContaining(['package.json', 'src/types.js', 'src/billing/index.js', 'src/cli/index.js']));
    expect(git(ws, ['log', '-1', '--format=%s', scaffold.commit])).toMatch(/^scaffold: /);
    for (const b of builders) {
      // Each builder's branch contains the scaffold commit, and its own change (from there) leaves the scaffold out.
      const branch = branchName(run.id, b.id);
      git(ws, ['merge-base', '--is-ancestor', scaffold.commit, branch]);
      const folder = b.owns[0];
      const mine = [`${folder}index.js`, `${folder}${folder.split('/')[1]}.test.js`].sort();
      expect(git(ws, ['diff', '--name-only', scaffold.commit, branch]).trim().split('\n').sort()).toEqual(mine);
      expect(run.ledger.get(b.id)!.changes!.files.sort()).toEqual(mine);
    }
    const patch = readFileSync(path.join(run.dir, 'changes.patch'), 'utf8');
    // The new files, scaffold and builders' alike, are in the change the user applies.
    for (const f of ['package.json', 'src/types.js', 'src/billing/billing.test.js', 'src/auth/auth.test.js', 'src/cli/index.js']) {
      expect(patch).toContain(`diff --git a/${f} b/${f}\nnew file mode 100644\n`);
    }
    expect(patch).toContain('export function createInvoice(customerId, items) {\n+  const total');
    expect(patch).not.toContain('not implemented');
    const changes = (await readChangeSet(run.dir))!;
    expect(changes.files.every((f) => f.status === 'added')).toBe(true);
    // The assembled program runs: the CLI goes through the API to auth and billing.
    const tree = keep(mkdtempSync(path.join(os.tmpdir(), 'orch-green-tree-')));
    git(tree, ['init', '-q']);
    git(tree, ['apply', path.join(run.dir, 'changes.patch')]);
    const script = "import('./src/cli/index.js').then(({ run }) => { run(['register', 'ann', 'pw']); run(['login', 'ann', 'pw']); console.log(run(['invoice', 'hosting', '12'])); })";
    expect(execFileSync('node', ['-e', script], { cwd: tree, encoding: 'utf8' })).toMatch(/"total":12,"status":"open"/);
    expect(execFileSync('node', ['--test'], { cwd: tree, encoding: 'utf8' })).toMatch(/# pass 4/);
    expect(repoState(ws).head).toBe(before.head);
  });

  it('retries a scaffold whose conformance check fails, with the check\'s output in the retry', async () => {
    const ws = emptyRepo();
    const marker = path.join(worktreesDir(), 'conformed-once');
    const command = `node -e "const f='${marker}';const fs=require('fs');if(!fs.existsSync(f)){fs.writeFileSync(f,'');console.log('conformance: src/types.js does not type-check');process.exit(2)}"`;
    const prompts: string[] = [];
    const { run } = await plan(ws, (req) => {
      if (roleOf(req) === 'scaffolder' && req.messages.length === 1) prompts.push(promptText(req));
      return undefined;
    }, { verifyCommand: command });
    const outcome = await run.execute();
    expect(outcome.status).toBe('completed');
    expect(run.ledger.get('scaffold')!.attempts).toBe(2);
    expect(prompts).toHaveLength(2);
    expect(prompts[1]).toMatch(/conformance check `node -e[^`]*` failed with exit code 2 on the skeleton[\s\S]*src\/types\.js does not type-check/);
    expect(readFileSync(path.join(run.dir, 'checks/scaffold.log'), 'utf8')).toMatch(/exit code 0/);
    expect(readFileSync(path.join(run.dir, 'scaffold.md'), 'utf8')).toMatch(/passed on the skeleton/);
  });

  it('fails the scaffold with the output when conformance keeps failing, and no builder builds on it', async () => {
    const ws = emptyRepo();
    const command = 'node -e "console.log(\'conformance: api imports a missing export\');process.exit(3)"';
    const { run } = await plan(ws, undefined, { verifyCommand: command });
    const outcome = await run.execute();
    expect(outcome.status).not.toBe('completed');
    const scaffold = run.ledger.get('scaffold')!;
    expect(scaffold.status).toBe('failed');
    expect(scaffold.error).toMatch(/failed with exit code 3 on the skeleton[\s\S]*api imports a missing export/);
    for (const b of run.plan.builders as Builder[]) expect(run.ledger.get(b.id)!.status).toBe('skipped');
    expect(existsSync(path.join(run.dir, 'scaffold.json'))).toBe(false);
  });

  it('builds what the user\'s edited architecture.md says, not what the architect first wrote', async () => {
    const ws = emptyRepo();
    const seen: string[] = [];
    const { run } = await plan(ws, (req, _c, agent) => {
      if (agent === 'b1' && req.messages.length === 1) seen.push(promptText(req));
      return undefined;
    });
    const file = path.join(run.dir, 'architecture.md');
    const edited = readFileSync(file, 'utf8').replace(
      "- `listInvoices(customerId)`: the customer's Invoices, oldest first",
      "- `listInvoices(customerId)`: the customer's Invoices, oldest first\n- `refundInvoice(invoiceId, reason)`: the Invoice refunded (added by the user)",
    );
    expect(edited).toContain('refundInvoice');
    writeFileSync(file, edited);
    const outcome = await run.execute();
    expect(outcome.status).toBe('completed');
    expect(seen[0]).toContain('refundInvoice(invoiceId, reason)');
    const b1 = readFileSync(path.join(run.dir, 'changes/b1.patch'), 'utf8');
    expect(b1).toContain("+export function refundInvoice(invoiceId, reason) {");
    expect(readFileSync(path.join(run.dir, 'changes.patch'), 'utf8')).toMatch(/refundInvoice/);
  });

  it('is chosen by the engine for an empty repository even when the planner does not say greenfield', async () => {
    const ws = emptyRepo();
    const { run } = await plan(ws, (req, _c, agent) => {
      const tool = req.tools.find((t) => t.name === 'plan_build');
      if (agent !== 'planner' || !tool) return undefined;
      return { kind: 'message', content: [{ type: 'tool_use', name: 'plan_build', input: { reason: 'a change', brief: 'New code.', scouts: [{ id: 's1', task: 'Find what exists already', scope: ['.'] }] } }] };
    });
    expect(run.plan.greenfield).toBe(true);
    expect(run.ledger.get('architect')!.status).toBe('completed');
  });
});

describe('orchestrate demo --greenfield', () => {
  beforeAll(() => { if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)'); });

  it('builds the billing service offline in a new, empty repository, showing the architecture with the plan', async () => {
    // Its worktrees go to a scratch folder, not the user's cache (worktreesDir is a machine setting; flags may set it).
    const r = await cliAsync(['demo', '--greenfield', '--set', `worktreesDir=${worktreesDir()}`], keylessEnv());
    expect(r.code).toBe(0);
    const ws = /Demo workspace \(a new, empty git repository\): (\S+)/.exec(r.stderr)![1];
    keep(ws);
    expect(r.stderr).toMatch(/Planning: Build a small billing service with auth, API and a CLI/);
    expect(r.stderr).toMatch(/Architecture: \S+architecture\.md\n {2}The architect's design[^\n]*Edit it before you approve/);
    expect(r.stderr).toMatch(/^ {8}billing\n {8}auth\n {8}api\n {8}cli$/m);
    expect(r.stdout + r.stderr).toMatch(/: completed[\s\S]*Changes: 10 files, \+\d+ −0 from 4 builders/);
    // The user's repository is still empty: the change waits in changes.patch for apply.
    expect(git(ws, ['ls-files']).trim()).toBe('');
  });
});
