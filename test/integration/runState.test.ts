/**
 * State read back is untrusted, and a run has one owner (issue 16, items 5 and 6), through the
 * built CLI and the real SDK over HTTP against the fake Messages API: a tampered ledger never
 * makes a write outside its run folder, a symlinked output root is refused by every command, two
 * concurrent resumes run one owner's agents only, and a run folder from elsewhere is not resumed
 * without --allow-foreign-run.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerSnapshot } from '../../src/engine/types';
import { CLI, cliAsync, makeWorkspace, orchestrator, planReply, readJson, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });
beforeAll(() => { if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)'); });

const envFor = (f: Fake, over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...process.env, ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: f.server.url, ...over });
const runDirOf = (ws: string): string => {
  const root = path.join(ws, '.orchestration');
  return path.join(root, readdirSync(root).find((n) => /^\d{8}-/.test(n))!);
};
const ledgerOf = (dir: string): LedgerSnapshot => readJson<LedgerSnapshot>(path.join(dir, 'ledger.json'));
const writeLedger = (dir: string, snap: LedgerSnapshot): void => writeFileSync(path.join(dir, 'ledger.json'), JSON.stringify(snap, null, 1));

/** A pid no process has: a child's, once it has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

/**
 * A finished fan-out run made by the CLI, then cut back as if its process had been killed early:
 * every worker, synthesis and summary file gone, the ledger `running` under a dead pid. Resume
 * must then run all of its agents again.
 */
async function interruptedRun(f: Fake, ws: string): Promise<{ dir: string; id: string }> {
  const made = await cliAsync(['run', 'Audit the shop', '--yes', '--workspace', ws], envFor(f));
  expect(made.code, made.stderr).toBe(0);
  const dir = runDirOf(ws);
  for (const sub of ['workers', 'synthesis']) rmSync(path.join(dir, sub), { recursive: true, force: true });
  rmSync(path.join(dir, 'summary.md'), { force: true });
  const snap = ledgerOf(dir);
  writeLedger(dir, { ...snap, status: 'running', endedAt: null, pid: await deadPid() });
  return { dir, id: path.basename(dir) };
}

describe('a tampered ledger', () => {
  it('with an outputFile leaving the run folder is refused before any request, and nothing is written outside', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    const { dir, id } = await interruptedRun(fake, ws);
    const marker = path.resolve(dir, '../../..', `escaped-${path.basename(ws)}.md`);
    const snap = ledgerOf(dir);
    const rel = path.relative(dir, marker);
    expect(rel.startsWith('..')).toBe(true);
    writeLedger(dir, { ...snap, agents: snap.agents.map((a) => (a.id === 'a1' ? { ...a, outputFile: rel } : a)) });

    fake.log.length = 0;
    for (const args of [['resume', id], ['resume', id, '--retry-failed'], ['rerun', id, 'a1']]) {
      const r = await cliAsync([...args, '--workspace', ws], envFor(fake));
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(path.join(dir, 'ledger.json'));
      expect(r.stderr).toMatch(/agent a1 has outputFile ".*escaped-.*\.md"; expected a \.md file inside the run folder/);
    }
    expect(existsSync(marker)).toBe(false);
    expect(fake.log).toHaveLength(0);
  });

  it('whose agent folder is a symlink out of the run folder is refused, and the folder it points to stays empty', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    const { dir, id } = await interruptedRun(fake, ws);
    const outside = mkdtempSync(path.join(os.tmpdir(), 'orch-outside-'));
    symlinkSync(outside, path.join(dir, 'workers'), 'dir');

    fake.log.length = 0;
    const r = await cliAsync(['resume', id, '--workspace', ws], envFor(fake));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/output file workers\/a1\.md resolves through a symlink to .*, outside the run folder/);
    expect(readdirSync(outside)).toEqual([]);
    expect(fake.log).toHaveLength(0);
  });
});

describe('a symlinked output root', () => {
  it('is refused by every command with an error naming it, and nothing reaches the folder it points to', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    const outside = mkdtempSync(path.join(os.tmpdir(), 'orch-outside-'));
    // As a repository would commit it: .orchestration is a link to a folder elsewhere, holding a run.
    mkdirSync(path.join(outside, '20260101-000000-abcd'));
    writeFileSync(path.join(outside, '20260101-000000-abcd', 'plan.md'), '# a plan\n');
    symlinkSync(outside, path.join(ws, '.orchestration'), 'dir');
    const before = readdirSync(outside);

    const commands = [
      ['run', 'Audit the shop', '--yes'], ['resume', '20260101-000000-abcd'], ['list'], ['status'],
      ['status', '20260101-000000-abcd'], ['rerun', '20260101-000000-abcd', 'a1'], ['transcript', '20260101-000000-abcd', 'a1'],
    ];
    for (const args of commands) {
      const r = await cliAsync([...args, '--workspace', ws], envFor(fake));
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`The output root ${path.join(ws, '.orchestration')} (setting outputRoot ".orchestration") resolves to`);
      expect(r.stderr).toMatch(/outside the workspace/);
    }
    expect(readdirSync(outside)).toEqual(before);
    expect(fake.log).toHaveLength(0);
  });

  it('is refused when a parent of the output root is the link', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    const outside = mkdtempSync(path.join(os.tmpdir(), 'orch-outside-'));
    symlinkSync(outside, path.join(ws, 'out'), 'dir');
    const r = await cliAsync(['run', 'Audit the shop', '--yes', '--workspace', ws, '--output-root', 'out/runs'], envFor(fake));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/setting outputRoot "out\/runs"\) resolves to .*outside the workspace/);
    expect(readdirSync(outside)).toEqual([]);
    expect(fake.log).toHaveLength(0);
  });
});

describe('a symlinked run folder', () => {
  it('is refused by every command that names the run, diff, apply and discard included, and nothing changes where it points', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    const made = await cliAsync(['run', 'Audit the shop', '--yes', '--workspace', ws], envFor(fake));
    expect(made.code, made.stderr).toBe(0);
    const dir = runDirOf(ws);
    const id = path.basename(dir);
    // As a repository would ship it: the run folder is a link to a folder elsewhere.
    const outside = path.join(mkdtempSync(path.join(os.tmpdir(), 'orch-outside-')), id);
    cpSync(dir, outside, { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    symlinkSync(outside, dir, 'dir');
    const before = readdirSync(outside, { recursive: true }).sort();
    const ledgerBefore = readFileSync(path.join(outside, 'ledger.json'), 'utf8');

    fake.log.length = 0;
    for (const args of [['diff', id], ['apply', id], ['discard', id], ['status', id], ['resume', id], ['rerun', id, 'a1'], ['transcript', id, 'a1']]) {
      const r = await cliAsync([...args, '--workspace', ws], envFor(fake));
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args[0]).toContain('a symlinked run folder is not followed');
    }
    // Not listed either: nothing offers to act on it.
    const list = await cliAsync(['list', '--workspace', ws], envFor(fake));
    expect(list.stdout).not.toContain(id);
    expect(readdirSync(outside, { recursive: true }).sort()).toEqual(before);
    expect(readFileSync(path.join(outside, 'ledger.json'), 'utf8')).toBe(ledgerBefore);
    expect(fake.log).toHaveLength(0);
  });
});

describe('one owner per run', () => {
  it('of two concurrent resumes exactly one runs; the other is refused naming its pid and command, and the ledger counts every request sent', async () => {
    const ws = makeWorkspace();
    // Slow answers keep the first resume busy while the second starts.
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 4) : undefined), { latencyMs: () => 250 });
    const { dir, id } = await interruptedRun(fake, ws);
    // A lock left by a killed process: taken over, by one of the two only.
    writeFileSync(path.join(dir, 'run.lock'), JSON.stringify({ pid: await deadPid(), command: 'run', host: os.hostname(), since: '2026-01-01T00:00:00.000Z' }));
    const before = ledgerOf(dir);
    const seqBefore = readFileSync(path.join(dir, 'events.jsonl'), 'utf8').trimEnd().split('\n').length;

    fake.log.length = 0;
    const start = (): { pid: number; done: Promise<{ code: number | null; stdout: string; stderr: string }> } => {
      const child = spawn(process.execPath, [CLI, 'resume', id, '--workspace', ws], { env: envFor(fake!), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += String(d); });
      child.stderr.on('data', (d) => { stderr += String(d); });
      return { pid: child.pid!, done: new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr }))) };
    };
    const procs = [start(), start()];
    const results = await Promise.all(procs.map((p) => p.done));

    const winners = results.filter((r) => r.code === 0);
    const losers = results.filter((r) => r.code !== 0);
    expect(winners, results.map((r) => r.stderr).join('\n---\n')).toHaveLength(1);
    expect(losers).toHaveLength(1);
    const winnerPid = procs[results.indexOf(winners[0])].pid;
    expect(losers[0].code).toBe(1);
    expect(losers[0].stderr).toContain(`Refused: Run ${id} is busy with another command (resume) in process ${winnerPid}`);

    const after = ledgerOf(dir);
    expect(after.status).toBe('completed');
    expect(after.totals.requests - before.totals.requests).toBe(fake.log.length);
    // Every agent ran again once, by one process: one event numbering, no duplicates.
    const seqs = readFileSync(path.join(dir, 'events.jsonl'), 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]);
    expect(seqs.length).toBeGreaterThan(seqBefore);
    expect(existsSync(path.join(dir, 'run.lock'))).toBe(false);
  });
});

describe('a plan approved elsewhere', () => {
  it('is not run a second time by the copy a window still holds: that Approve is refused, and no request is sent', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    // The window's copy: planned here, awaiting approval, kept in memory.
    const held = await orchestrator(fake).plan({ task: 'Audit the shop' });
    await held.ledger.flush();
    // Another process (an MCP client's approve_run) opens the same run from disk and runs it.
    const elsewhere = await orchestrator(fake).open(held.id);
    expect((await elsewhere.execute()).status).toBe('completed');
    const requests = fake.log.length;
    const seqs = readFileSync(path.join(held.dir, 'events.jsonl'), 'utf8').trimEnd().split('\n').length;

    await expect(held.execute()).rejects.toThrow(`Run ${held.id} was approved elsewhere and is now completed`);
    expect(fake.log.length).toBe(requests);
    expect(readFileSync(path.join(held.dir, 'events.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(seqs);
    expect(ledgerOf(held.dir).status).toBe('completed');
    expect(existsSync(path.join(held.dir, 'run.lock'))).toBe(false);
  });
});

describe('a run folder not created on this machine', () => {
  it('is listed and marked, refused for resume and retry without --allow-foreign-run, and resumed with it after a warning', async () => {
    const home = makeWorkspace();
    fake = await startFake(home, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    const { dir: original, id } = await interruptedRun(fake, home);
    // The run folder arrives with another checkout, as a repository would ship it.
    const ws = makeWorkspace();
    const dir = path.join(ws, '.orchestration', id);
    cpSync(original, dir, { recursive: true });

    const list = await cliAsync(['list', '--workspace', ws], envFor(fake));
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${id}.*\\[foreign: not created on this machine\\]`));
    const status = await cliAsync(['status', id, '--workspace', ws], envFor(fake));
    expect(status.stdout).toContain(`was created on this machine in ${original} and copied or moved here`);
    expect(status.stdout).toMatch(/--allow-foreign-run/);

    fake.log.length = 0;
    for (const extra of [[], ['--retry-failed']]) {
      const r = await cliAsync(['resume', id, ...extra, '--workspace', ws], envFor(fake));
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`Refused: Run ${id} in ${dir} was created on this machine in ${original} and copied or moved here`);
      expect(r.stderr).toContain(`orchestrate resume ${id}${extra.length ? ' --retry-failed' : ''} --allow-foreign-run`);
    }
    expect(fake.log).toHaveLength(0);
    expect(ledgerOf(dir).status).toBe('running');

    const allowed = await cliAsync(['resume', id, '--allow-foreign-run', '--workspace', ws], envFor(fake));
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toMatch(/Warning: Run .* was created on this machine in .* and copied or moved here/);
    expect(ledgerOf(dir).status).toBe('completed');
    expect(fake.log.length).toBeGreaterThan(0);
  });

  it('is refused for rerun, ask and add-worker too, each naming the command to repeat, and rerun goes on with --allow-foreign-run', async () => {
    const home = makeWorkspace();
    fake = await startFake(home, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    const made = await cliAsync(['run', 'Audit the shop', '--yes', '--workspace', home], envFor(fake));
    expect(made.code, made.stderr).toBe(0);
    const original = runDirOf(home);
    const id = path.basename(original);
    const ws = makeWorkspace();
    const dir = path.join(ws, '.orchestration', id);
    cpSync(original, dir, { recursive: true });
    const before = readFileSync(path.join(dir, 'ledger.json'), 'utf8');

    fake.log.length = 0;
    const commands: Array<[string[], string]> = [
      [['rerun', id, 'a1'], 'Rerunning a1'],
      [['ask', id, 'a1', 'Why this rating?'], 'Asking a1'],
      [['add-worker', id, '--group', 'a', '--task', 'Review the retry helper', '--scope', 'src', '--tier', 'haiku'], 'Adding a worker'],
    ];
    for (const [args, what] of commands) {
      const r = await cliAsync([...args, '--workspace', ws], envFor(fake));
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`Refused: Run ${id} in ${dir} was created on this machine in ${original} and copied or moved here`);
      expect(r.stderr).toContain(`${what} would run a plan written elsewhere, on your key and at your cost.`);
      expect(r.stderr).toContain(`orchestrate ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')} --allow-foreign-run`);
    }
    expect(fake.log).toHaveLength(0);
    expect(readFileSync(path.join(dir, 'ledger.json'), 'utf8')).toBe(before);

    const allowed = await cliAsync(['rerun', id, 'a1', '--allow-foreign-run', '--workspace', ws], envFor(fake));
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(fake.log.length).toBeGreaterThan(0);
  });

  it('without an origin mark, or marked with another machine\'s secret, is refused naming where its ledger says it came from', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    const { dir, id } = await interruptedRun(fake, ws);
    const snap = ledgerOf(dir);
    writeLedger(dir, { ...snap, workspace: '/home/someone-else/shop' });
    fake.log.length = 0;

    // Another machine: the same folder checked with a different secret.
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'orch-state-other-'));
    const other = await cliAsync(['resume', id, '--workspace', ws], envFor(fake, { XDG_STATE_HOME: elsewhere }));
    expect(other.code, other.stderr).toBe(1);
    expect(other.stderr).toMatch(/was not created on this machine: its origin mark was made with another machine's secret/);
    expect(other.stderr).toContain('its ledger says it was created in /home/someone-else/shop');

    rmSync(path.join(dir, 'origin.json'));
    const unmarked = await cliAsync(['resume', id, '--workspace', ws], envFor(fake));
    expect(unmarked.code, unmarked.stderr).toBe(1);
    expect(unmarked.stderr).toMatch(/was not created on this machine: it has no origin mark \(origin\.json\)/);
    expect(fake.log).toHaveLength(0);
  });
});
