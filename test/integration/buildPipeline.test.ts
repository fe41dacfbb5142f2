/**
 * The build pipeline after the reviews, through the real engine, the real SDK over HTTP and real
 * git: the integration check on the assembled tree, the fixer's rounds, the hardeners and the
 * last step's tally, major-finding fix round and summary.
 */
import { readFileSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { branchName, readChangeSet } from '../../src/engine/git';
import { INTEGRATION_AGENT_ID } from '../../src/engine/patterns/build/compile';
import { HardenTallySchema, IntegrationResultSchema, readRunJson, TALLY_FILE, INTEGRATION_FILE } from '../../src/engine/pipelineFiles';
import { assistantTurns, promptText, roleOf } from '../../src/simulator/conversation';
import type { ParsedRequest, Reply, ReplyBlock } from '../../src/simulator/types';
import { git, gitWorkspace, worktreesDir } from './buildHarness';
import { orchestrator, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

const TASK = 'Rename the library\'s total and use it from the app';
const calls = (blocks: ReplyBlock[]): Reply => ({ kind: 'message', content: blocks });
const use = (name: string, input: Record<string, unknown>): ReplyBlock => ({ type: 'tool_use', name, input });
const say = (text: string): Reply => ({ kind: 'message', content: [{ type: 'text', text }] });
const isPlanBuilders = (req: ParsedRequest): boolean => req.tools.some((t) => t.name === 'plan_builders');

/**
 * A check that reads like a linter: every `lib.X(` in app.js must name a function lib.js exports,
 * reported as `app.js:LINE: 'X' should be 'Y'`; then the app must compute 1 + 2.
 */
const CHECK_JS = `const fs = require('fs');
const lib = require('./lib');
let bad = 0;
fs.readFileSync('app.js', 'utf8').split('\\n').forEach((l, i) => {
  for (const m of l.matchAll(/lib\\.(\\w+)\\(/g)) {
    if (typeof lib[m[1]] !== 'function') { console.log(\`app.js:\${i + 1}: '\${m[1]}' should be '\${Object.keys(lib)[0]}'\`); bad++; }
  }
});
const app = require('./app');
if (!bad && app.run && app.run() !== 3) { console.log('app.run() should be 3'); bad++; }
process.exit(bad ? 1 : 0);
`;

/** The demo shop plus lib.js, app.js and check.js, committed. */
function pipelineWorkspace(extra: Record<string, string> = {}): string {
  const ws = gitWorkspace();
  const files: Record<string, string> = {
    'lib.js': 'exports.total = (xs) => xs.reduce((a, b) => a + b, 0);\n',
    'app.js': 'module.exports = {};\n',
    'check.js': CHECK_JS,
    ...extra,
  };
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(ws, f), text);
  git(ws, ['add', '-A']);
  git(ws, ['commit', '-q', '-m', 'lib and app']);
  return ws;
}

const ASSIGN = calls([use('plan_builders', { builders: [
  { id: 'b1', task: 'Rename total to sum in lib.js', tier: 'haiku', owns: ['lib.js'] },
  { id: 'b2', task: 'Make the app sum 1 and 2 with the library', tier: 'haiku', owns: ['app.js'] },
] })]);
/** b1 renames total (passes alone: the app does not use it yet); b2 calls lib.total (passes alone: lib still has it). */
const B1_LIB = 'exports.sum = (xs) => xs.reduce((a, b) => a + b, 0);\n';
const B2_APP = 'const lib = require(\'./lib\');\nexports.run = () => lib.total([1, 2]);\n';

/** Scripted builders: write (or delete, for null) their one file, then say done. Other agents are the simulator's. */
function builders(files: Record<string, readonly [string, string | null]>): (req: ParsedRequest, agent: string) => Reply | undefined {
  return (req, agent) => {
    if (agent === 'planner' && isPlanBuilders(req)) return ASSIGN;
    const change = files[agent];
    if (!change) return undefined;
    if (assistantTurns(req) > 0) return say(`Done. ${agent} made its change.`);
    const [file, content] = change;
    return calls([content === null ? use('delete_file', { path: file }) : use('write_file', { path: file, content })]);
  };
}

async function pipelineRun(ws: string, fault: (req: ParsedRequest, agent: string) => Reply | undefined, over: Record<string, unknown> = {}) {
  roles = [];
  fake = await startFake(ws, (req, _c, agent) => { roles.push(roleOf(req) ?? 'unknown'); return fault(req, agent); });
  const wt = worktreesDir();
  const run = await orchestrator(fake, { worktreesDir: wt, ...over }).plan({ task: TASK, pattern: 'build' });
  return { run, wt };
}

const integrationOf = (dir: string) => readRunJson(dir, INTEGRATION_FILE, IntegrationResultSchema);
const tallyOf = (dir: string) => readRunJson(dir, TALLY_FILE, HardenTallySchema);
/** The role of every request the fake Messages API got in this test, in order. */
let roles: string[] = [];
const roleRequests = (role: string): number => roles.filter((r) => r === role).length;

describe('the integration check on the assembled tree', () => {
  it('catches two changes that pass alone but break together, and the fixer repairs it in the integration worktree', async () => {
    const ws = pipelineWorkspace();
    const { run } = await pipelineRun(ws, builders({ b1: ['lib.js', B1_LIB], b2: ['app.js', B2_APP] }), { verifyCommand: 'node check.js' });
    const outcome = await run.execute();
    expect(outcome.status).toBe('completed');
    // Each builder's own check passed in its worktree.
    for (const b of ['b1', 'b2']) expect(readFileSync(path.join(run.dir, `checks/${b}.log`), 'utf8')).toMatch(/exit code 0/);
    const i = (await integrationOf(run.dir))!;
    expect(i.status).toBe('passed');
    expect(i.merged).toEqual(['b1', 'b2']);
    expect(i.rounds.map((r) => [r.round, r.ok])).toEqual([[0, false], [1, true]]);
    expect(readFileSync(path.join(run.dir, 'checks/integration-0.log'), 'utf8')).toContain('app.js:2: \'total\' should be \'sum\'');
    expect(i.fixes!.map((f) => [f.round, f.files])).toEqual([[1, ['app.js']]]);
    expect(i.fixes![0].note).toMatch(/^Done\. Repaired 1 line the check reported in 1 file\./);
    // The fixer's commit is on the integration branch, by the engine, and in changes.patch.
    const log = git(ws, ['log', '--format=%an|%s', branchName(run.id, INTEGRATION_AGENT_ID), '-1']);
    expect(log).toMatch(/^Scaled Agent Orchestration\|fix: round 1/);
    expect(readFileSync(path.join(run.dir, 'changes.patch'), 'utf8')).toContain('+exports.run = () => lib.sum([1, 2]);');
    expect((await readChangeSet(run.dir))!.ref).toBe(i.ref);
    expect(run.ledger.get('integration')!).toMatchObject({ status: 'completed', requests: 0, costUsd: 0 });
    expect(run.ledger.get('fix')!.returned).toMatch(/^Repaired the assembled tree in 1 round/);
    const summary = readFileSync(path.join(run.dir, 'summary.md'), 'utf8');
    expect(summary).toMatch(/## Integration\n\n`node check\.js` on the assembled tree: \*\*passed\*\* after 1 fixer round/);
    expect(summary).not.toMatch(/Integration failed/);
  });

  it('marks the change "integration failed" when the fixer\'s rounds run out, with the logs, and a retry spends nothing more', async () => {
    const ws = pipelineWorkspace();
    const script = builders({ b1: ['lib.js', B1_LIB], b2: ['app.js', B2_APP] });
    const { run } = await pipelineRun(ws, (req, agent) => {
      if (roleOf(req) === 'fixer') {
        if (assistantTurns(req) > 0) return say('Done. Tried again.');
        const round = /# Round (\d+)/.exec(promptText(req))![1];
        return calls([use('write_file', { path: 'app.js', content: `${B2_APP}// attempt ${round}\n` })]);
      }
      return script(req, agent);
    }, { verifyCommand: 'node check.js', fixRounds: 2, retries: 1 });
    const outcome = await run.execute();
    expect(outcome.status).toBe('partial');
    const fix = run.ledger.get('fix')!;
    expect(fix.status).toBe('failed');
    expect(fix.error).toMatch(/^Integration failed: `node check\.js` still fails on the assembled tree after 2 fixer rounds \(logs: checks\/integration-0\.log, checks\/integration-1\.log, checks\/integration-2\.log\)/);
    expect(fix.attempts).toBe(2);
    // Two rounds of two turns each; the retry saw the rounds were spent and sent nothing.
    expect(roleRequests('fixer')).toBe(4);
    const i = (await integrationOf(run.dir))!;
    expect(i.status).toBe('failed');
    expect(i.rounds.map((r) => r.ok)).toEqual([false, false, false]);
    expect(outcome.gaps.map((g) => g.agentId)).toEqual(['fix']);
    const summary = readFileSync(path.join(run.dir, 'summary.md'), 'utf8');
    expect(summary.split('\n').slice(0, 4).join('\n')).toMatch(/\*\*Integration failed\.\*\* `node check\.js` still fails on the assembled tree \(see \[checks\/integration-2\.log\]/);
    expect(readFileSync(path.join(run.dir, 'fix.md'), 'utf8')).not.toContain('<!-- DONE -->');
  });

  it('kills a check that hangs on the assembled tree and names the timeout in the log', async () => {
    const ws = pipelineWorkspace();
    // Only in the integration worktree: the builders' own checks pass.
    const command = 'node -e "if (process.cwd().split(require(\'path\').sep).includes(\'integration\')) setInterval(() => {}, 1000)"';
    const { run } = await pipelineRun(ws, builders({ b1: ['lib.js', 'exports.total = (xs) => xs.reduce((a, b) => a + b, 0); // same\n'] }), {
      verifyCommand: command, verifyTimeoutMs: 1_000, fixRounds: 0,
    });
    const outcome = await run.execute();
    expect(outcome.status).toBe('partial');
    const i = (await integrationOf(run.dir))!;
    expect(i.rounds).toMatchObject([{ round: 0, ok: false, timedOut: true, code: null }]);
    expect(readFileSync(path.join(run.dir, 'checks/integration-0.log'), 'utf8')).toMatch(/^# in \S+, timed out after 1 s/m);
    expect(run.ledger.get('integration')!.returned).toMatch(/timed out after 1 s on the assembled tree/);
    expect(run.ledger.get('fix')!.error).toMatch(/^Integration failed/);
  });

  it('catches a builder deleting a file another builder\'s code uses', async () => {
    const ws = pipelineWorkspace({ 'util.js': 'exports.twice = (x) => x * 2;\n' });
    const script = builders({ b1: ['util.js', null], b2: ['app.js', 'const { twice } = require(\'./util\');\nexports.run = () => twice(1) + 1;\n'] });
    const { run } = await pipelineRun(ws, (req, agent) => {
      if (agent === 'planner' && isPlanBuilders(req)) {
        return calls([use('plan_builders', { builders: [
          { id: 'b1', task: 'Remove the unused util.js', tier: 'haiku', owns: ['util.js'] },
          { id: 'b2', task: 'Make the app use twice', tier: 'haiku', owns: ['app.js'] },
        ] })]);
      }
      // The reviewer of the deletion approves it: alone, it is right.
      if (agent === 'r-b1') return calls([use('submit_review', { verdict: 'approve', summary: 'Removes an unused file.', reasons: [] })]);
      return script(req, agent);
    }, { verifyCommand: 'node -e "require(\'./app\')"', fixRounds: 1 });
    const outcome = await run.execute();
    expect(outcome.status).toBe('partial');
    const i = (await integrationOf(run.dir))!;
    expect(i.merged).toEqual(['b1', 'b2']);
    expect(i.status).toBe('failed');
    expect(readFileSync(path.join(run.dir, 'checks/integration-0.log'), 'utf8')).toMatch(/Cannot find module '\.\/util'/);
    // The simulated fixer repairs only what a report names; it says so rather than guess.
    expect(i.fixes![0].note).toMatch(/^Failed\./);
    expect(run.ledger.get('fix')!.status).toBe('failed');
  });
});

describe('hardening the combined change', () => {
  it('flags a planted critical defect with its file and line, and the summary says Ship is blocked', async () => {
    const ws = pipelineWorkspace();
    const { run } = await pipelineRun(ws, builders({ b1: ['lib.js', 'exports.total = (xs) => xs.reduce((a, b) => a + b, 0);\nexports.run = (code) => eval(code);\n'] }));
    const outcome = await run.execute();
    expect(outcome.status).toBe('completed');
    const tally = (await tallyOf(run.dir))!;
    expect(tally.enabled).toBe(true);
    expect(tally.critical).toBeGreaterThanOrEqual(1);
    expect(tally.findings.find((f) => f.severity === 'critical')).toMatchObject({ concern: 'security', file: 'lib.js', line: 2, owner: 'b1', status: 'open' });
    expect(readFileSync(path.join(run.dir, 'harden/h-security.md'), 'utf8')).toMatch(/\| critical \| `lib\.js` \| 2 \|[\s\S]*<!-- DONE -->\n$/);
    const summary = readFileSync(path.join(run.dir, 'summary.md'), 'utf8');
    expect(summary).toMatch(/\*\*Ship blocked:\*\* 1 critical finding/);
    expect(summary).toMatch(/## Hardening[\s\S]*\*\*critical\*\* \(security\) `lib\.js:2`/);
    expect(run.ledger.get('assemble')!.returned).toMatch(/; 1 critical finding blocks Ship\.$/);
  });

  it('sends a major finding to the builder that owns the file for one fix round, merges it again and re-runs the check', async () => {
    const ws = pipelineWorkspace();
    const script = builders({ b1: ['lib.js', 'exports.total = (xs) => xs.reduce((a, b) => a + b, 0); // PLANTED-MAJOR\n'] });
    const revisions: string[] = [];
    const { run } = await pipelineRun(ws, (req, agent) => {
      if (agent === 'b1' && /# Review of your change/.test(promptText(req))) {
        if (assistantTurns(req) > 0) return say('Done. Removed the marked bug.');
        revisions.push(promptText(req));
        return calls([use('write_file', { path: 'lib.js', content: 'exports.total = (xs) => xs.reduce((a, b) => a + b, 0); // fixed\n' })]);
      }
      return script(req, agent);
    }, { verifyCommand: 'node check.js' });
    const outcome = await run.execute();
    expect(outcome.status).toBe('completed');
    expect(revisions).toHaveLength(1);
    expect(revisions[0]).toMatch(/lib\.js:1 \(correctness\): This line is marked as a known bug/);
    const tally = (await tallyOf(run.dir))!;
    expect(tally.major).toBe(1);
    expect(tally.findings.find((f) => f.severity === 'major')).toMatchObject({ owner: 'b1', status: 'fixed' });
    expect(run.ledger.get('b1')!).toMatchObject({ status: 'completed', attempts: 2 });
    const i = (await integrationOf(run.dir))!;
    expect(i.rounds.map((r) => [r.round, r.ok])).toEqual([[0, true], [1, true]]);
    const patch = readFileSync(path.join(run.dir, 'changes.patch'), 'utf8');
    expect(patch).toContain('// fixed');
    expect(patch).not.toContain('PLANTED-MAJOR');
    expect(readFileSync(path.join(run.dir, 'summary.md'), 'utf8')).toMatch(/\*\*major\*\* \(correctness\) `lib\.js:1`: .* — fixed by its owner/);
  });

  it('with hardening off compiles no hardeners, writes a disabled tally, and the plan says so', async () => {
    const ws = pipelineWorkspace();
    const { run } = await pipelineRun(ws, builders({}), { harden: false });
    expect(readFileSync(path.join(run.dir, 'plan.md'), 'utf8')).toMatch(/Hardening off \(setting harden\)/);
    const outcome = await run.execute();
    expect(outcome.status).toBe('completed');
    expect(run.ledger.agents.some((a) => a.role === 'hardener')).toBe(false);
    expect(roleRequests('hardener')).toBe(0);
    expect(await tallyOf(run.dir)).toEqual({ enabled: false, critical: 0, major: 0, minor: 0, findings: [] });
    expect(readFileSync(path.join(run.dir, 'summary.md'), 'utf8')).toMatch(/## Hardening\n\nHardening is off/);
    // No check set: integration says so, and the fixer has nothing to do at no cost.
    expect((await integrationOf(run.dir))!.status).toBe('no-check');
    expect(run.ledger.get('fix')!).toMatchObject({ status: 'completed', requests: 0, returned: 'Nothing to fix: no check command is set.' });
  });
});

describe('resume mid-pipeline', () => {
  it('does not redo the integration check or the fixer when only the hardeners are left', async () => {
    const ws = pipelineWorkspace();
    let hardenersFail = true;
    const script = builders({ b1: ['lib.js', B1_LIB], b2: ['app.js', B2_APP] });
    const { run } = await pipelineRun(ws, (req, agent) => {
      if (roleOf(req) === 'hardener' && hardenersFail) return { kind: 'error', status: 400, type: 'invalid_request_error', message: 'scripted failure' };
      return script(req, agent);
    }, { verifyCommand: 'node check.js', retries: 0 });
    const first = await run.execute();
    expect(first.status).toBe('partial');
    expect(first.gaps.map((g) => g.agentId).sort()).toEqual(['h-correctness', 'h-security', 'h-style', 'h-tests']);
    const integrationLog = statSync(path.join(run.dir, 'checks/integration-1.log')).mtimeMs;
    const before = { fixer: roleRequests('fixer'), builder: roleRequests('builder'), integration: readFileSync(path.join(run.dir, INTEGRATION_FILE), 'utf8') };
    unlinkSync(path.join(run.dir, TALLY_FILE));

    hardenersFail = false;
    const resumed = await run.execute({ mode: 'resume' });
    expect(resumed.status).toBe('completed');
    expect(roleRequests('fixer')).toBe(before.fixer);
    expect(roleRequests('builder')).toBe(before.builder);
    expect(readFileSync(path.join(run.dir, INTEGRATION_FILE), 'utf8')).toBe(before.integration);
    expect(statSync(path.join(run.dir, 'checks/integration-1.log')).mtimeMs).toBe(integrationLog);
    expect((await tallyOf(run.dir))!.enabled).toBe(true);
    expect(readFileSync(path.join(run.dir, 'changes.patch'), 'utf8')).toContain('lib.sum([1, 2])');
  });
});
