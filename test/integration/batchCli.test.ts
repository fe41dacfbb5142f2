/**
 * Batch mode survives the CLI being killed: kill -9 between submit and results, then resume
 * collects the submitted batch and submits nothing twice. The real CLI, SDK and HTTP.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { endsWithSentinel } from '../../src/engine/files';
import type { LedgerSnapshot } from '../../src/engine/types';
import { roleOf } from '../../src/simulator/conversation';
import { agentOfCustomId, batchPlanCall, batchWorkspace } from './batchHarness';
import { CLI, cliAsync, keylessEnv, readJson, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });
beforeAll(() => { if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)'); });

const fakeEnv = (f: Fake): NodeJS.ProcessEnv => ({ ...keylessEnv(), ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: f.server.url });
const FAST = ['--set', 'batchPollMs=5', '--set', 'batchPollMaxMs=20', '--set', 'batchGatherMs=30'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Kills the CLI (SIGKILL) once its run's ledger.json holds a submitted batch, and returns the run
 * folder ('' when none appeared). The events have the batch a moment before; a kill between the
 * two writes is covered in ledgerDamage.test.ts, where a load replays the events.
 */
async function killOnceBatched(child: ChildProcess, ws: string): Promise<string> {
  let dir = '';
  for (let i = 0; i < 600 && !dir; i++) {
    await sleep(25);
    const root = path.join(ws, '.orchestration');
    const run = existsSync(root) ? readdirSync(root).find((n) => /^\d{8}-/.test(n)) : undefined;
    const ledgerFile = run ? path.join(root, run, 'ledger.json') : '';
    if (run && existsSync(ledgerFile) && readFileSync(ledgerFile, 'utf8').includes('"batches"')) dir = path.join(root, run);
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  return dir;
}

describe('batch mode from the CLI', () => {
  it('after kill -9 between submit and results, resume collects the submitted batch and submits nothing twice', async () => {
    const ws = batchWorkspace();
    // The server's clock: the mappers' batch takes an hour of it, which the test skips after the kill.
    let offset = 0;
    fake = await startFake(ws, (req) => (roleOf(req) === 'planner' ? batchPlanCall : undefined), {
      now: () => Date.now() + offset,
      batches: { processingMs: (id) => (/^m\d+__1$/.test(id) ? 3_600_000 : 0) },
    });
    const child = spawn(process.execPath, [CLI, 'run', 'Rate the comments in every .ts file', '--pattern', 'map-reduce', '--yes', '--batch', '--workspace', ws, ...FAST], { env: fakeEnv(fake), stdio: 'ignore' });
    const dir = await killOnceBatched(child, ws);
    expect(dir).not.toBe('');
    const runId = path.basename(dir);
    const submitted = fake.server.batches.created();
    expect(submitted).toHaveLength(1);
    const snap = readJson<LedgerSnapshot>(path.join(dir, 'ledger.json'));
    expect(snap.batches?.map((b) => b.id)).toEqual([submitted[0].id]);

    const status = spawnSync(process.execPath, [CLI, 'status', runId, '--workspace', ws], { encoding: 'utf8', env: keylessEnv() });
    expect(status.stdout).toContain('Batches:');
    expect(status.stdout).toMatch(new RegExp(`${submitted[0].id}\\s+in_progress\\s+6 requests: 6 processing`));

    offset = 2 * 3_600_000;
    const resumed = await cliAsync(['resume', runId, '--workspace', ws, ...FAST], fakeEnv(fake));
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = readJson<LedgerSnapshot>(path.join(dir, 'ledger.json'));
    expect(after.status).toBe('completed');
    for (const a of after.agents.filter((x) => x.role === 'mapper')) {
      expect(endsWithSentinel(readFileSync(path.join(dir, a.outputFile), 'utf8'))).toBe(true);
    }
    // Every mapper went into a batch once: the one the killed process submitted.
    const mapperRequests = fake.server.batches.created().flatMap((b) => b.customIds).filter((c) => /^m\d+__/.test(c));
    expect(mapperRequests.sort()).toEqual(submitted[0].customIds.sort());
    expect(new Set(mapperRequests.map(agentOfCustomId)).size).toBe(mapperRequests.length);
    expect(after.batches![0]).toMatchObject({ id: submitted[0].id, status: 'collected' });
  });

  it('offline too: a --simulate run killed while its batch is processed is collected by the next simulator, which kept the batch', async () => {
    const ws = batchWorkspace();
    // The simulated provider keeps its batches in the user's state folder, here one of the test's own.
    const env = { ...keylessEnv(), ORCHESTRATION_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'sao-state-')) };
    const kept = path.join(env.ORCHESTRATION_STATE_DIR, 'simulator-batches');
    const child = spawn(process.execPath, [CLI, 'run', 'Rate the comments in every .ts file', '--pattern', 'map-reduce', '--yes', '--batch', '--simulate', '--sim-latency', '400', '--workspace', ws, ...FAST], { env, stdio: 'ignore' });
    const dir = await killOnceBatched(child, ws);
    expect(dir).not.toBe('');
    const before = readJson<LedgerSnapshot>(path.join(dir, 'ledger.json'));
    expect(before.batches).toHaveLength(1);
    expect(before.batches![0].status).toBe('in_progress');
    expect(readdirSync(kept)).toEqual([`${before.batches![0].id}.json`]);

    const resumed = await cliAsync(['resume', path.basename(dir), '--simulate', '--workspace', ws, ...FAST], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = readJson<LedgerSnapshot>(path.join(dir, 'ledger.json'));
    expect(after.status).toBe('completed');
    expect(after.batches![0]).toMatchObject({ id: before.batches![0].id, status: 'collected' });
    expect(Object.values(after.batches![0].outcomes!).every((o) => o === 'succeeded')).toBe(true);
    // Each mapper's request was submitted once, in the batch the killed process made.
    const mapperRequests = after.batches!.flatMap((b) => b.requests).filter((r) => /^m\d+$/.test(r.agentId));
    expect(mapperRequests.map((r) => r.customId).sort()).toEqual(before.batches![0].requests.map((r) => r.customId).sort());
    for (const a of after.agents.filter((x) => x.role === 'mapper')) expect(endsWithSentinel(readFileSync(path.join(dir, a.outputFile), 'utf8'))).toBe(true);
  });
});
