import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { endsWithSentinel } from '../../src/engine/files';
import type { LedgerSnapshot } from '../../src/engine/types';
import { CLI, cliAsync, forgetfulWorker, keylessEnv, makeWorkspace, planReply, readJson, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });
beforeAll(() => { if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)'); });

const baseEnv = keylessEnv;

function cli(args: string[], env: NodeJS.ProcessEnv = baseEnv()) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const fakeEnv = (f: Fake): NodeJS.ProcessEnv => ({ ...baseEnv(), ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: f.server.url });
const runDirOf = (ws: string): string => {
  const root = path.join(ws, '.orchestration');
  return path.join(root, readdirSync(root).find((n) => /^\d{8}-/.test(n))!);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('orchestrate CLI', () => {
  it('runs the simulated example offline and prints where the summary is', () => {
    const ws = makeWorkspace();
    const r = cli(['run', 'Audit this repo for security issues', '--pattern', 'fan-out', '--simulate', '--yes', '--workspace', ws]);
    expect(r.stderr).toMatch(/tier → model/);
    expect(r.stderr).toMatch(/^Pattern: fan-out — /m);
    expect(r.code).toBe(0);
    const m = r.stdout.match(/^Summary: (.+summary\.md)$/m);
    expect(m).not.toBeNull();
    const dir = runDirOf(ws);
    expect(path.isAbsolute(m![1])).toBe(true); // the workspace is outside the current folder
    const summary = readFileSync(m![1], 'utf8');
    expect(summary).toMatch(/Simulated output/);
    for (const f of readdirSync(path.join(dir, 'workers'))) {
      const text = readFileSync(path.join(dir, 'workers', f), 'utf8');
      expect(endsWithSentinel(text), f).toBe(true);
      expect(text).toMatch(/Simulated output/);
    }
    expect(readJson<LedgerSnapshot>(path.join(dir, 'ledger.json'))).toMatchObject({ status: 'completed', simulated: true });
    const list = cli(['list', '--workspace', ws]);
    expect(list.stdout).toContain(path.basename(dir));
  });

  it('labels simulated money as what the run would cost, never as spent', () => {
    const ws = makeWorkspace();
    const r = cli(['run', 'Audit this repo for security issues', '--simulate', '--yes', '--workspace', ws]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^Estimate: .+ tokens; \$[\d.]+–\$[\d.]+ if run for real \(simulated: nothing is spent\)\.$/m);
    expect(r.stdout).toMatch(/^Totals: .+, would cost \$[\d.]+, /m);
    expect(r.stdout).toMatch(/^Simulated: nothing was spent/m);
    expect(cli(['list', '--workspace', ws]).stdout).toMatch(/ would cost \$[\d.]+ /);
  });

  it('refuses to resume a declined plan, leaving it declined', () => {
    const ws = makeWorkspace();
    expect(cli(['run', 'Audit this repo for security issues', '--simulate', '--yes', '--workspace', ws]).code).toBe(0);
    const dir = runDirOf(ws);
    // The ledger a "no" at the confirmation prompt leaves (the prompt needs a terminal).
    const ledger = readJson<LedgerSnapshot>(path.join(dir, 'ledger.json'));
    writeFileSync(path.join(dir, 'ledger.json'), JSON.stringify({ ...ledger, status: 'declined', reason: 'the plan was declined at the prompt; nothing ran' }));
    const r = cli(['resume', path.basename(dir), '--simulate', '--workspace', ws]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/was declined at approval, so it is not resumed/);
    expect(readJson<LedgerSnapshot>(path.join(dir, 'ledger.json')).status).toBe('declined');
    expect(cli(['status', path.basename(dir), '--workspace', ws]).stdout).toMatch(/declined, so nothing ran and it cannot be resumed/);
  });

  it('prints the outcome as JSON with --json', () => {
    const ws = makeWorkspace();
    const r = cli(['run', 'Document every module', '--simulate', '--yes', '--json', '--workspace', ws]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { status: string; totals: { parentContextTokens: number } };
    expect(out.status).toBe('completed');
    expect(out.totals.parentContextTokens).toBeGreaterThan(0);
  });

  it('refuses to start without a terminal and without --yes', () => {
    const r = cli(['run', 'Audit', '--simulate', '--workspace', makeWorkspace()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Pass --yes/);
  });

  it('exits 2 with a clear message on usage and configuration errors', () => {
    const ws = makeWorkspace();
    expect(cli(['run', '', '--simulate', '--yes', '--workspace', ws])).toMatchObject({ code: 2 });
    expect(cli(['frobnicate']).stderr).toMatch(/Unknown command "frobnicate"/);
    expect(cli(['run', 'x', '--bogus']).code).toBe(2);
    const badPattern = cli(['run', 'Audit', '--pattern', 'swarm', '--simulate', '--yes', '--workspace', ws]);
    expect(badPattern.code).toBe(2);
    expect(badPattern.stderr).toMatch(/--pattern "swarm" is not a pattern; expected one of auto, fan-out/);
    const noKey = cli(['run', 'Audit', '--yes', '--workspace', ws]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/No Anthropic API key/);
    mkdirSync(path.join(ws, '.orchestration'), { recursive: true });
    writeFileSync(path.join(ws, '.orchestration/config.json'), JSON.stringify({ tierCaps: { haiku: 'many' } }));
    const bad = cli(['run', 'Audit', '--simulate', '--yes', '--workspace', ws]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/tierCaps\.haiku/);
    writeFileSync(path.join(ws, '.orchestration/config.json'), '{ not json');
    expect(cli(['list', '--workspace', ws]).stderr).toMatch(/config\.json is not valid JSON/);
  });

  it('exits 3 when the run is partial and names the gap', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (req, _c, agent) => (agent === 'planner' ? planReply(3, 3) : agent === 'a1' ? forgetfulWorker(req, ws) : undefined));
    const { code, stdout } = await cliAsync(['run', 'Audit', '--yes', '--workspace', ws], fakeEnv(fake));
    expect(code).toBe(3);
    expect(stdout).toMatch(/a1 \(.*workers\/a1\.md\): .*<!-- DONE -->/);
  });
});

describe('crash safety', () => {
  it('after kill -9 the ledger is readable, the run shows interrupted, and resume finishes without redoing work', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 5) : undefined), { latencyMs: () => 120 });
    const child = spawn(process.execPath, [CLI, 'run', 'Audit', '--yes', '--workspace', ws, '--max-concurrent', '3'], { env: fakeEnv(fake), stdio: 'ignore' });
    // Wait until some workers have finished their files, then kill without warning.
    let dir = '';
    let done: string[] = [];
    for (let i = 0; i < 300 && done.length < 4; i++) {
      await sleep(50);
      try { dir = runDirOf(ws); } catch { continue; }
      const wdir = path.join(dir, 'workers');
      done = existsSync(wdir) ? readdirSync(wdir).filter((f) => endsWithSentinel(readFileSync(path.join(wdir, f), 'utf8'))) : [];
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    expect(done.length).toBeGreaterThanOrEqual(4);
    const filesBefore = Object.fromEntries(done.map((f) => [f, readFileSync(path.join(dir, 'workers', f), 'utf8')]));

    const snap = readJson<LedgerSnapshot>(path.join(dir, 'ledger.json')); // parses: writes are atomic
    expect(snap.status).toBe('running');
    const status = cli(['status', path.basename(dir), '--workspace', ws]);
    expect(status.stdout).toMatch(/interrupted/);
    expect(status.stdout).toMatch(/orchestrate resume/);

    fake.log.length = 0;
    const resumed = await cliAsync(['resume', path.basename(dir), '--workspace', ws], fakeEnv(fake));
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/: completed/);
    const redone = new Set(fake.log.map((l) => l.agent));
    for (const f of done) expect(redone.has(f.replace('.md', '')), `${f} was redone`).toBe(false);
    for (const [f, text] of Object.entries(filesBefore)) expect(readFileSync(path.join(dir, 'workers', f), 'utf8')).toBe(text);
    const after = readJson<LedgerSnapshot>(path.join(dir, 'ledger.json'));
    expect(after.status).toBe('completed');
    expect(after.agents.every((a) => a.status === 'completed')).toBe(true);
    console.log(`[kill -9] ${done.length} worker files were complete at the kill; resume sent ${fake.log.length} requests for ${redone.size} agents`);
  });

  it('Ctrl-C cancels within a second: exit 130, ledger cancelled, files intact', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_r, _c, agent) => (agent === 'planner' ? planReply(3, 5) : undefined), { latencyMs: () => 300 });
    const child = spawn(process.execPath, [CLI, 'run', 'Audit', '--yes', '--workspace', ws], { env: fakeEnv(fake), stdio: 'ignore' });
    let dir = '';
    for (let i = 0; i < 200; i++) {
      await sleep(50);
      try { dir = runDirOf(ws); if (existsSync(path.join(dir, 'workers'))) break; } catch { /* not yet */ }
    }
    const t0 = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    const ms = Date.now() - t0;
    expect(code).toBe(130);
    expect(ms).toBeLessThan(1500);
    const snap = readJson<LedgerSnapshot>(path.join(dir, 'ledger.json'));
    expect(snap.status).toBe('cancelled');
    expect(snap.agents.some((a) => a.status === 'cancelled')).toBe(true);
    for (const a of snap.agents.filter((x) => x.status === 'completed')) {
      expect(endsWithSentinel(readFileSync(path.join(dir, a.outputFile), 'utf8'))).toBe(true);
    }
    console.log(`[Ctrl-C] exited ${code} after ${ms} ms`);
  });
});
