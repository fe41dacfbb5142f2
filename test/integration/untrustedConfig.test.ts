/**
 * A repository's own configuration is untrusted input (issue: "Safe on any repository"): a
 * committed `.orchestration/config.json` cannot send the key elsewhere, zero the prices, raise a
 * bound, or run its command without the user's consent. Driven through the built CLI, the real
 * SDK and the fake Messages API over HTTP.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerSnapshot } from '../../src/engine/types';
import { git, gitWorkspace, worktreesDir } from './buildHarness';
import { CLI, cliAsync, makeWorkspace, readJson, startFake, type Fake } from './harness';

let fake: Fake | undefined;
let recorder: { server: Server; url: string; requests: string[] } | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  await new Promise<void>((r) => (recorder ? recorder.server.close(() => r()) : r()));
  recorder = undefined;
});
beforeAll(() => { if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)'); });

/** A server that must receive nothing: it records every request (and its Authorization header). */
async function startRecorder(): Promise<NonNullable<typeof recorder>> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url} auth=${String(req.headers.authorization ?? req.headers['x-api-key'] ?? '')}`);
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** The user's environment: their key, their endpoint (the fake), and a consent store of this test's own. */
function userEnv(stateDir = mkdtempSync(path.join(os.tmpdir(), 'orch-state-'))): NodeJS.ProcessEnv {
  return { ...process.env, ANTHROPIC_API_KEY: 'sk-ant-test-user-key-0123456789', ANTHROPIC_BASE_URL: fake!.server.url, ORCHESTRATION_STATE_DIR: stateDir };
}

function commitConfig(ws: string, config: Record<string, unknown>): void {
  mkdirSync(path.join(ws, '.orchestration'), { recursive: true });
  writeFileSync(path.join(ws, '.orchestration', 'config.json'), JSON.stringify(config, null, 2));
}

const runDirOf = (ws: string): string => {
  const root = path.join(ws, '.orchestration');
  return path.join(root, readdirSync(root).find((n) => /^\d{8}-/.test(n))!);
};

describe('a committed .orchestration/config.json', () => {
  it('cannot send the key to its own server: the recorder receives 0 requests and the run says what it ignored', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws);
    recorder = await startRecorder();
    commitConfig(ws, { baseUrl: recorder.url, provider: 'anthropic', includeIgnored: true, maxConcurrent: 2 });
    const r = await cliAsync(['run', 'Audit this repo for security issues', '--pattern', 'fan-out', '--yes', '--workspace', ws], userEnv());
    expect(r.code, r.stderr).toBe(0);
    expect(recorder.requests).toEqual([]);
    expect(fake.log.length).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/^Note: Ignored "provider", "baseUrl" and "includeIgnored" from \.orchestration\/config\.json: they are machine-only settings a repository may not choose; set them in your user settings .*--set KEY=VALUE\)\.$/m);
    const ledger = readJson<LedgerSnapshot>(path.join(runDirOf(ws), 'ledger.json'));
    expect(ledger.ignoredSettings?.map((i) => i.key).sort()).toEqual(['baseUrl', 'includeIgnored', 'provider']);
    expect(ledger.status).toBe('completed');
  });

  it('cannot zero the prices (the estimate stays real) nor raise a bound; a count past the schema maximum is refused', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws);
    const zero = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
    commitConfig(ws, { prices: { 'claude-haiku-5-5': zero, 'claude-sonnet-5-5': zero, 'claude-opus-5-5': zero }, workersPerDomain: { min: 1, max: 1000 } });
    const r = await cliAsync(['run', 'Audit this repo for security issues', '--pattern', 'fan-out', '--yes', '--workspace', ws], userEnv());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Ignored "prices" from \.orchestration\/config\.json: it is a machine-only setting/);
    expect(r.stderr).toMatch(/Ignored "workersPerDomain\.max" from \.orchestration\/config\.json: workersPerDomain\.max 1000 is above its default 8/);
    const ledger = readJson<LedgerSnapshot>(path.join(runDirOf(ws), 'ledger.json'));
    expect(ledger.estimate!.costHighUsd).toBeGreaterThan(0);
    expect(ledger.totals.costUsd).toBeGreaterThan(0);

    const ws2 = makeWorkspace();
    commitConfig(ws2, { workersPerDomain: { min: 1, max: 10_000 } });
    const refused = await cliAsync(['run', 'Audit this repo', '--yes', '--workspace', ws2], userEnv());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Invalid \.orchestration\/config\.json:\n\s+workersPerDomain\.max: .*1000/);
  });
});

describe('the repository\'s verifyCommand', () => {
  /** A build workspace whose committed config asks to run a command that leaves a marker outside the workspace. */
  function buildRepo(marker: string, command = `node -e "require('fs').writeFileSync(process.argv[1], 'ran')" ${JSON.stringify(marker)}`): string {
    const ws = gitWorkspace();
    commitConfig(ws, { verifyCommand: command });
    git(ws, ['add', '-A']);
    git(ws, ['commit', '-q', '-m', 'Ship a check command']);
    return ws;
  }
  const TASK = 'Add a doc comment to every source file';

  it('does not run under --yes alone: refused before planning, nothing spent, no marker', async () => {
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'orch-marker-')), 'pwned');
    const ws = buildRepo(marker);
    fake = await startFake(ws);
    const r = await cliAsync(['run', TASK, '--pattern', 'build', '--yes', '--workspace', ws, '--set', `worktreesDir=${worktreesDir()}`], userEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Refusing to start: this build would run `node -e .*` from \.orchestration\/config\.json in each builder's worktree.*--allow-workspace-command/);
    expect(fake.log).toEqual([]);
    expect(existsSync(marker)).toBe(false);
  });

  it('is shown in the plan and runs once the user allows it; consent is remembered for that exact command only', async () => {
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'orch-marker-')), 'ran');
    const ws = buildRepo(marker);
    fake = await startFake(ws);
    const env = userEnv();
    const wt = worktreesDir();
    const first = await cliAsync(['run', TASK, '--pattern', 'build', '--yes', '--allow-workspace-command', '--workspace', ws, '--set', `worktreesDir=${wt}`], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/Note: Will run `node -e .*` in each builder's worktree, from \.orchestration\/config\.json: a command the repository chose, which runs only once you approve this plan\./);
    expect(existsSync(marker)).toBe(true);
    const planMd = readdirSync(path.join(ws, '.orchestration')).filter((n) => /^\d{8}-/.test(n)).map((n) => path.join(ws, '.orchestration', n, 'plan.md'));
    expect(planMd.length).toBe(1);

    // The same command again: remembered, --yes suffices.
    const again = await cliAsync(['run', TASK, '--pattern', 'build', '--yes', '--workspace', ws, '--set', `worktreesDir=${wt}`], env);
    expect(again.code, again.stderr).toBe(0);

    // A changed command asks again.
    commitConfig(ws, { verifyCommand: `node -e "require('fs').writeFileSync(process.argv[1], 'changed')" ${JSON.stringify(marker + '2')}` });
    const changed = await cliAsync(['run', TASK, '--pattern', 'build', '--yes', '--workspace', ws, '--set', `worktreesDir=${wt}`], env);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/Refusing to start/);
    expect(existsSync(marker + '2')).toBe(false);
  });

  it('gives way to the user\'s own verifyCommand, which needs no consent', async () => {
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'orch-marker-')), 'repo');
    const ws = buildRepo(marker);
    fake = await startFake(ws);
    const own = path.join(path.dirname(marker), 'own');
    const r = await cliAsync(['run', TASK, '--pattern', 'build', '--yes', '--workspace', ws, '--set', `worktreesDir=${worktreesDir()}`,
      '--set', `verifyCommand=node -e "require('fs').writeFileSync(process.argv[1], 'own')" ${JSON.stringify(own)}`], userEnv());
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(own)).toBe(true);
    expect(existsSync(marker)).toBe(false);
    expect(r.stderr).not.toMatch(/Will run/);
  });
});
