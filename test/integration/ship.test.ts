/**
 * Ship: a finished build's approved change as one commit on a new branch, through the real engine,
 * the real SDK over HTTP and real git. The pipeline files Ship reads (integration.json,
 * harden/tally.json, findings.json) are written here as fixtures, as the pipeline would.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkShip, pushShipped, shipRun, ShipRefusedError } from '../../src/engine/commands/ship';
import { branchName, discardRunChanges, readChangeSet } from '../../src/engine/git';
import { patchBetween } from '../../src/engine/git/diff';
import { CommandRefusedError, takeRunLock } from '../../src/engine/run/lock';
import {
  INTEGRATION_FILE, SHIP_FILE, TALLY_FILE, type HardenTally, type IntegrationResult, type ShipRecord,
} from '../../src/engine/pipelineFiles';
import { git, gitWorkspace, repoState, worktreesDir } from './buildHarness';
import { CLI, cliAsync, orchestrator, readJson, startFake, type Fake } from './harness';

let fake: Fake | undefined;
const savedEnv = { ...process.env };
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const k of ['GIT_CONFIG_GLOBAL', 'GIT_CONFIG_NOSYSTEM']) {
    if (savedEnv[k] === undefined) delete process.env[k]; else process.env[k] = savedEnv[k];
  }
});
beforeAll(() => { if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)'); });

const TASK = 'Add a doc comment to every source file';
const OUT = '.orchestration';

/** The user's git identity for this test (a global config of its own), or none at all. */
function identity(who: { name: string; email: string } | null): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orch-gitcfg-'));
  const file = path.join(dir, 'gitconfig');
  writeFileSync(file, who ? `[user]\n\tname = ${who.name}\n\temail = ${who.email}\n` : '');
  process.env.GIT_CONFIG_GLOBAL = file;
  process.env.GIT_CONFIG_NOSYSTEM = '1';
}

/** A finished simulated build in a fresh repository. */
async function finishedBuild() {
  const ws = gitWorkspace();
  fake = await startFake(ws);
  const wt = worktreesDir();
  const run = await orchestrator(fake, { worktreesDir: wt }).plan({ task: TASK, pattern: 'build' });
  const outcome = await run.execute();
  expect(outcome.status).toBe('completed');
  await run.ledger.close();
  const base = run.plan.base as string;
  return { ws, wt, run, base, id: run.id, dir: run.dir };
}

const writeJson = (dir: string, file: string, v: unknown): void => {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), JSON.stringify(v, null, 2));
};
const passed = (ref: string): IntegrationResult => ({
  status: 'passed', command: 'npm test', ref,
  rounds: [{ round: 0, ok: false, code: 1, timedOut: false, log: 'checks/integration-0.log', ms: 5 }, { round: 1, ok: true, code: 0, timedOut: false, log: 'checks/integration-1.log', ms: 5 }],
});
const tally = (findings: HardenTally['findings']): HardenTally => ({
  enabled: true,
  critical: findings.filter((f) => f.severity === 'critical').length,
  major: findings.filter((f) => f.severity === 'major').length,
  minor: findings.filter((f) => f.severity === 'minor').length,
  findings,
});
const finding = (severity: 'critical' | 'major' | 'minor', over: Partial<HardenTally['findings'][number]> = {}): HardenTally['findings'][number] => ({
  id: `h-security-${severity}`, severity, concern: 'security', file: 'src/api/orders.js', line: 3, text: `A ${severity} problem in the order handler`, owner: 'b1', status: severity === 'major' ? 'fixed' : 'open', ...over,
});

describe('Ship to Branch', () => {
  it('makes one commit on orchestration/<runId> whose tree is the base plus the change, leaving branch, index, working tree and HEAD alone', async () => {
    identity({ name: 'Ada Lovelace', email: 'ada@example.invalid' });
    const { ws, wt, id, dir, base } = await finishedBuild();
    const cs = (await readChangeSet(dir))!;
    writeJson(dir, TALLY_FILE, tally([finding('major'), finding('minor', { id: 'h-style-1', concern: 'style', text: 'A long line' })]));
    // A Fix Findings build: b1 addresses F1 (merged, so fixed); no builder addressed F2.
    const plan = JSON.parse(readFileSync(path.join(dir, 'plan.json'), 'utf8')) as { builders: Array<{ id: string; addresses?: string[] }> };
    writeJson(dir, INTEGRATION_FILE, { ...passed(cs.ref!), merged: plan.builders.map((b) => b.id) });
    plan.builders[0].addresses = ['F1'];
    writeJson(dir, 'plan.json', plan);
    writeJson(dir, 'findings.json', {
      from: '20250101-000000-aaaa', pattern: 'fan-out', findings: [
        { id: 'F1', severity: 'major', file: 'src/api/orders.js', line: null, text: 'Orders are not documented', source: 'synthesis/a.md' },
        { id: 'F2', severity: 'minor', file: null, line: null, text: 'The README is terse', source: 'synthesis/a.md' },
      ],
    });
    // The user is mid-work: an uncommitted edit to a file the change touches, a staged one and an untracked file.
    const touched = cs.files[0].path;
    writeFileSync(path.join(ws, touched), 'my own unsaved work\n');
    writeFileSync(path.join(ws, 'README.md'), 'staged edit\n');
    git(ws, ['add', 'README.md']);
    writeFileSync(path.join(ws, 'scratch.txt'), 'untracked\n');
    const before = repoState(ws);
    const indexBefore = readFileSync(path.join(ws, '.git', 'index'));

    const check = await checkShip({ workspace: ws, outputRoot: OUT, runId: id });
    expect(check.refusals).toEqual([]);
    expect(check.defaultBranch).toBe(`orchestration/${id}`);
    const result = await shipRun({ workspace: ws, outputRoot: OUT, runId: id, rootOverride: wt });
    const branch = `orchestration/${id}`;
    expect(result.record).toMatchObject({ branch, base, headMoved: false, pushedTo: null });

    // One commit, on the base, whose tree is the integration result's (base + change).
    expect(git(ws, ['rev-list', '--count', `${base}..${branch}`]).trim()).toBe('1');
    expect(git(ws, ['rev-parse', `${branch}^`]).trim()).toBe(base);
    expect(git(ws, ['rev-parse', `${branch}^{tree}`]).trim()).toBe(git(ws, ['rev-parse', `${cs.ref!}^{tree}`]).trim());
    expect(await patchBetween(ws, base, branch)).toBe(readFileSync(path.join(dir, 'changes.patch'), 'utf8'));
    expect(git(ws, ['log', '-1', '--format=%an <%ae>', branch]).trim()).toBe('Ada Lovelace <ada@example.invalid>');

    // Nothing of the user's moved: HEAD, branch, index (byte for byte), working tree.
    const after = repoState(ws);
    expect({ ...after, branches: '', worktrees: '' }).toEqual({ ...before, branches: '', worktrees: '' });
    expect(readFileSync(path.join(ws, '.git', 'index'))).toEqual(indexBefore);
    expect(readFileSync(path.join(ws, touched), 'utf8')).toBe('my own unsaved work\n');
    // The run's own branches made room for orchestration/<runId> (git cannot hold both).
    expect(after.branches).toContain(branch);
    expect(after.branches).not.toContain(`${branch}/`);
    expect(git(ws, ['worktree', 'list', '--porcelain']).match(/^worktree /gm)).toHaveLength(1);

    // The message: subject within 72, builders and reviews, findings fixed, integration, hardening, base.
    const message = git(ws, ['log', '-1', '--format=%B', branch]);
    const [subject, blank] = message.split('\n');
    expect(subject).toBe(TASK);
    expect(subject.length).toBeLessThanOrEqual(72);
    expect(blank).toBe('');
    expect(message).toMatch(/Builders \(\d+\), each approved by its reviewer:\n- b1: /);
    expect(message).toMatch(/Review: /);
    expect(message).toMatch(/Findings fixed:\n- F1 \[major\] src\/api\/orders\.js: Orders are not documented/);
    expect(message).toMatch(/Findings not fixed here:\n- F2 \[minor\] The README is terse \(out of scope: no builder addressed it\)/);
    // The body is wrapped at 72 columns; its sentences read whole with the line breaks folded.
    const flat = message.replace(/\s+/g, ' ');
    expect(flat).toContain('Integration check: `npm test` passed on the assembled change after 1 fix round.');
    expect(flat).toContain('Hardening: 0 critical, 1 major (1 fixed), 1 minor.');
    expect(flat).toContain('- [minor, style] src/api/orders.js:3: A long line');
    expect(flat).toContain(`Made from the run's base ${base.slice(0, 12)}.`);
    expect(message.split('\n').every((l) => l.length <= 72)).toBe(true);
    expect(message.trimEnd()).toBe(check.message.trimEnd());
    expect(readJson<ShipRecord>(path.join(dir, SHIP_FILE)).commit).toBe(result.record.commit);

    // Shipped once: the second time is refused and says where it went.
    await expect(shipRun({ workspace: ws, outputRoot: OUT, runId: id, branch: 'again' })).rejects.toThrow(new RegExp(`already shipped: branch ${branch}, commit ${result.record.commit.slice(0, 12)}`));
  });

  it('refuses a branch that exists, by name; after HEAD moved the branch still starts at the run\'s base and the message says so', async () => {
    identity(null);
    const { ws, id, base, dir } = await finishedBuild();
    git(ws, ['branch', 'taken']);
    git(ws, ['branch', 'feature/x/deeper']);
    await expect(shipRun({ workspace: ws, outputRoot: OUT, runId: id, branch: 'taken' })).rejects.toThrow(/A branch named taken already exists/);
    await expect(shipRun({ workspace: ws, outputRoot: OUT, runId: id, branch: 'feature/x' })).rejects.toThrow(/cannot be created beside the existing feature\/x\/deeper/);
    await expect(shipRun({ workspace: ws, outputRoot: OUT, runId: id, branch: 'bad..name' })).rejects.toThrow(/not a valid git branch name/);
    expect(existsSync(path.join(dir, SHIP_FILE))).toBe(false);
    expect(git(ws, ['rev-parse', 'taken']).trim()).toBe(base);
    // While another command holds the run (another Ship, say), Ship waits its turn: refused, nothing made.
    const held = await takeRunLock(dir, id, 'ship');
    await expect(shipRun({ workspace: ws, outputRoot: OUT, runId: id, branch: 'while-held' })).rejects.toBeInstanceOf(CommandRefusedError);
    await held.release();
    expect(git(ws, ['branch', '--list', 'while-held'])).toBe('');

    writeFileSync(path.join(ws, 'NEWS.md'), 'later work\n');
    git(ws, ['add', 'NEWS.md']);
    git(ws, ['commit', '-q', '-m', 'Later work']);
    const head = git(ws, ['rev-parse', 'HEAD']).trim();
    const r = await shipRun({ workspace: ws, outputRoot: OUT, runId: id, branch: 'ship/doc-comments' });
    expect(r.record.headMoved).toBe(true);
    expect(git(ws, ['rev-parse', 'ship/doc-comments^']).trim()).toBe(base);
    expect(git(ws, ['rev-parse', 'HEAD']).trim()).toBe(head);
    expect(git(ws, ['log', '-1', '--format=%B', 'ship/doc-comments']).replace(/\s+/g, ' ')).toContain(`HEAD has moved since the run started (now ${head.slice(0, 12)} on main)`);
    expect(r.notes.join('\n')).toMatch(/HEAD has moved since the run started/);
    // A push that git refuses: the branch stays made, unpushed, with git's words.
    git(ws, ['remote', 'add', 'gone', path.join(os.tmpdir(), 'orch-no-such-remote', id)]);
    const failed = await pushShipped({ workspace: ws, outputRoot: OUT, runId: id, remote: 'gone', interactive: false });
    expect(failed.push.ok).toBe(false);
    expect(failed.push.output).toMatch(/does not appear to be a git repository|not found|No such file/i);
    expect(readJson<ShipRecord>(path.join(dir, SHIP_FILE)).pushedTo).toBeNull();
    // No user identity: the engine's, with a note saying how to commit as yourself.
    expect(git(ws, ['log', '-1', '--format=%an', 'ship/doc-comments']).trim()).toBe('Scaled Agent Orchestration');
    expect(r.notes.join('\n')).toMatch(/No git user\.name and user\.email are set/);
    // A name beside the run's branches leaves them be (Discard still removes them).
    expect(git(ws, ['branch', '--list', `orchestration/${id}/*`])).toContain(branchName(id, 'b1'));
  });

  it('refuses by name: a critical finding, a failed integration check, an unapproved builder, a discarded change', async () => {
    identity({ name: 'Ada', email: 'ada@example.invalid' });
    const { ws, wt, id, dir } = await finishedBuild();
    const refusals = async (): Promise<string> => (await checkShip({ workspace: ws, outputRoot: OUT, runId: id })).refusals.join('\n');
    expect(await refusals()).toBe('');

    writeJson(dir, TALLY_FILE, tally([finding('critical', { id: 'h-security-1', text: 'Order ids are read from the query unchecked' })]));
    expect(await refusals()).toMatch(/Hardening found 1 critical finding: h-security-1 \(src\/api\/orders\.js:3\): Order ids are read/);
    const refused = await shipRun({ workspace: ws, outputRoot: OUT, runId: id }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ShipRefusedError);
    writeFileSync(path.join(dir, TALLY_FILE), '{ torn');
    expect(await refusals()).toMatch(/harden\/tally\.json cannot be read/);
    rmSync(path.join(dir, TALLY_FILE));

    const cs = (await readChangeSet(dir))!;
    writeJson(dir, INTEGRATION_FILE, { ...passed(cs.ref!), status: 'failed' });
    expect(await refusals()).toMatch(/The integration check failed: `npm test` still fails on the assembled change after 1 fix round \(log: checks\/integration-1\.log\)/);
    rmSync(path.join(dir, INTEGRATION_FILE));

    const review = path.join(dir, 'reviews', 'b1.json');
    const approved = readFileSync(review, 'utf8');
    writeFileSync(review, JSON.stringify({ ...JSON.parse(approved) as object, verdict: 'changes_requested', summary: 'The comment is wrong', reasons: ['wrong'] }));
    expect(await refusals()).toMatch(/Builder b1 is not approved: changes requested \(The comment is wrong\)/);
    rmSync(review);
    expect(await refusals()).toMatch(/Builder b1 is not approved \(no review recorded\)/);
    writeFileSync(review, approved);
    expect(await refusals()).toBe('');

    // A run folder not made here (no origin mark): its reviews were not made here either.
    const mark = readFileSync(path.join(dir, 'origin.json'));
    rmSync(path.join(dir, 'origin.json'));
    expect(await refusals()).toMatch(/was not created on this machine[\s\S]*Ship will not commit its change in your name/);
    expect((await checkShip({ workspace: ws, outputRoot: OUT, runId: id, allowForeign: true })).refusals).toEqual([]);
    writeFileSync(path.join(dir, 'origin.json'), mark);

    await discardRunChanges({ workspace: ws, runDir: dir, runId: id, rootOverride: wt });
    expect(await refusals()).toMatch(/was discarded: nothing to ship/);
    // Nothing was made by any refusal.
    expect(git(ws, ['branch', '--list', `orchestration/${id}`])).toBe('');
    expect(existsSync(path.join(dir, SHIP_FILE))).toBe(false);
  });
});

describe('orchestrate ship', () => {
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, ANTHROPIC_API_KEY: 'test-key' });

  it('exit codes: 0 shipped, 1 refused (already shipped, unknown remote), 2 usage; nothing pushed without --push, --push to a bare remote as the user\'s git', async () => {
    identity({ name: 'Ada', email: 'ada@example.invalid' });
    const first = await finishedBuild();
    const { ws } = first;
    const remote = mkdtempSync(path.join(os.tmpdir(), 'orch-remote-'));
    git(remote, ['init', '-q', '--bare']);
    git(ws, ['remote', 'add', 'origin', remote]);
    const wtFlag = ['--set', `worktreesDir=${first.wt}`];

    expect((await cliAsync(['ship', '20990101-000000-zzzz', '--workspace', ws], env())).code).toBe(2);
    const bad = await cliAsync(['ship', first.id, '--branch', 'bad..name', '--workspace', ws], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--branch: "bad\.\.name" is not a valid git branch name/);
    expect((await cliAsync(['diff', first.id, '--branch', 'x', '--workspace', ws], env())).code).toBe(2);
    // A run folder that is a symlink out of the output root is not followed, as diff/apply/discard refuse it.
    symlinkSync(mkdtempSync(path.join(os.tmpdir(), 'orch-elsewhere-')), path.join(ws, OUT, '20990101-000000-beef'));
    const linked = await cliAsync(['ship', '20990101-000000-beef', '--workspace', ws], env());
    expect(linked.code).toBe(2);
    expect(linked.stderr).toMatch(/a symlinked run folder is not followed/);

    const shipped = await cliAsync(['ship', first.id, '--workspace', ws, ...wtFlag], env());
    expect(shipped.code, shipped.stderr).toBe(0);
    expect(shipped.stdout).toMatch(new RegExp(`in one commit [0-9a-f]{12} on the new branch orchestration/${first.id}, made from the run's base`));
    expect(shipped.stdout).toMatch(/Your current branch, index and working tree were not touched\./);
    expect(shipped.stdout).toMatch(/Nothing was pushed\./);
    expect(git(remote, ['for-each-ref'])).toBe('');
    const again = await cliAsync(['ship', first.id, '--workspace', ws, '--branch', 'other'], env());
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/Refused to ship run \S+:\n {2}- Run \S+ was already shipped: branch orchestration\//);

    await fake!.close();
    fake = await startFake(ws);
    const run2 = await orchestrator(fake, { worktreesDir: first.wt }).plan({ task: TASK, pattern: 'build' });
    expect((await run2.execute()).status).toBe('completed');
    await run2.ledger.close();
    const unknown = await cliAsync(['ship', run2.id, '--workspace', ws, '--push', 'nosuch', ...wtFlag], env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/"nosuch" is not a remote of this repository \(its remotes: origin\); nothing was made/);
    expect(existsSync(path.join(run2.dir, SHIP_FILE))).toBe(false);
    const msgFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'orch-msg-')), 'message.txt');
    writeFileSync(path.join(msgFile), 'Document the shop\n\nEdited by hand.\n');
    const pushed = await cliAsync(['ship', run2.id, '--workspace', ws, '--branch', 'docs/comments', '--push', 'origin', '--message-file', msgFile, ...wtFlag], env());
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toMatch(/Pushed docs\/comments to origin\./);
    expect(pushed.stderr).toMatch(/docs\/comments -> docs\/comments/);
    const commit = git(ws, ['rev-parse', 'docs/comments']).trim();
    expect(git(remote, ['rev-parse', 'refs/heads/docs/comments']).trim()).toBe(commit);
    expect(git(ws, ['log', '-1', '--format=%B', 'docs/comments']).trim()).toBe('Document the shop\n\nEdited by hand.');
    expect(readJson<ShipRecord>(path.join(run2.dir, SHIP_FILE)).pushedTo).toBe('origin');
    // The user's own branch was not pushed, only the shipped one.
    expect(git(remote, ['for-each-ref', '--format=%(refname)']).trim()).toBe('refs/heads/docs/comments');
  });
});
