/**
 * Damaged state and hostile pipes (issue 16, item 11), through the built CLI and the engine with
 * the real SDK over HTTP against the fake Messages API: a truncated ledger.json, a torn last line
 * of events.jsonl, a disk that fills up or turns read-only mid-run, a reader that closes the pipe,
 * and tasks past the size limit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from '../../src/engine/ledger/events';
import { rebuildSnapshot } from '../../src/engine/ledger/rebuild';
import { MAX_TASK_CHARS } from '../../src/engine/plan/task';
import type { PatternName } from '../../src/engine/types';
import type { EngineEvent, LedgerSnapshot } from '../../src/engine/types';
import { CLI, cliAsync, forgetfulWorker, keylessEnv, makeWorkspace, orchestrator, padLedger, planReply, readJson, startFake, type Fake, type Fault } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });
beforeAll(() => { if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)'); });

const FS_FAULT = path.join(__dirname, 'fixtures', 'fsFault.cjs');
const TASK = 'Audit this repo for security issues';

const baseEnv = keylessEnv;

const fakeEnv = (f: Fake, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...baseEnv(), ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: f.server.url, ...extra });
const runIdOf = (ws: string): string => readdirSync(path.join(ws, '.orchestration')).find((n) => /^\d{8}-/.test(n))!;
const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
const parses = (line: string): boolean => { try { JSON.parse(line); return true; } catch { return false; } };
/** A stack trace in output: the CLI must say what happened, never dump one. */
const STACK = /\n\s+at .+:\d+:\d+/;

/** A fan-out plan of three domains of three workers; a1 forgets its sentinel while `forget.on`, so the run ends partial. */
function partialFirst(ws: string, forget = { on: true }): Fault {
  return (req, _ctx, agent) => {
    if (agent === 'planner') return planReply(3, 3);
    if (agent === 'a1' && forget.on) return forgetfulWorker(req, ws);
    return undefined;
  };
}

describe('ledger.json rebuilt from events.jsonl', () => {
  it.each<PatternName>(['fan-out', 'pipeline', 'panel', 'map-reduce', 'supervisor'])('the events of a %s run rebuild the ledger.json it wrote', async (pattern) => {
    const ws = makeWorkspace();
    fake = await startFake(ws);
    const run = await orchestrator(fake).plan({ task: TASK, pattern });
    await run.execute();
    await run.ledger.close();
    const written = readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json'));
    const { snapshot, report } = await rebuildSnapshot(run.dir, 'test');
    expect(report.skipped).toEqual([]);
    expect(snapshot).toEqual({ ...written, pid: null });
  });

  it('a truncated ledger.json is reported as damaged, naming the file; resume rebuilds it and finishes the run', async () => {
    const ws = makeWorkspace();
    const forget = { on: true };
    fake = await startFake(ws, partialFirst(ws, forget));
    const first = await cliAsync(['run', TASK, '--pattern', 'fan-out', '--yes', '--workspace', ws], fakeEnv(fake));
    expect(first.code, first.stderr).toBe(3);
    const id = runIdOf(ws);
    const file = path.join(ws, '.orchestration', id, 'ledger.json');
    const whole = readFileSync(file, 'utf8');
    writeFileSync(file, whole.slice(0, whole.length / 2));

    for (const args of [['status', id], ['status']]) {
      const status = await cliAsync([...args, '--workspace', ws], baseEnv());
      expect(status.code).toBe(1);
      expect(status.stderr).toContain(`${file} is damaged (not JSON: `);
      expect(status.stderr).toContain(`orchestrate resume ${id}`);
      expect(status.stderr).not.toMatch(/not found/);
    }
    const list = await cliAsync(['list', '--workspace', ws], baseEnv());
    expect(list.stdout).toMatch(new RegExp(`^${id}  damaged +${file.replace(/[.]/g, '\\.')}: not JSON`, 'm'));

    forget.on = false;
    const resumed = await cliAsync(['resume', id, '--workspace', ws], fakeEnv(fake));
    expect(resumed.stderr).toMatch(new RegExp(`Run ${id}: ledger.json was damaged \\(not JSON: .+\\); rebuilt it from events.jsonl \\(\\d+ events\\); the damaged file is kept as ledger.json.damaged`));
    expect(resumed.code, resumed.stderr).toBe(0);
    const snap = readJson<LedgerSnapshot>(file);
    expect(snap.status).toBe('completed');
    expect(snap.agents.every((a) => a.status === 'completed')).toBe(true);
    // The first execution's requests were rebuilt from the log, not lost: every request is counted.
    expect(snap.totals.requests).toBe(fake.log.length);
    expect(readFileSync(path.join(ws, '.orchestration', id, 'ledger.json.damaged'), 'utf8')).toBe(whole.slice(0, whole.length / 2));
    expect((await cliAsync(['status', id, '--workspace', ws], baseEnv())).stdout).toMatch(new RegExp(`^${id}  completed`));
  });

  it('a torn last line of events.jsonl stays alone on its line, the next event stays parseable, and a rebuild skips it with a warning', async () => {
    const ws = makeWorkspace();
    const forget = { on: true };
    fake = await startFake(ws, partialFirst(ws, forget));
    expect((await cliAsync(['run', TASK, '--pattern', 'fan-out', '--yes', '--workspace', ws], fakeEnv(fake))).code).toBe(3);
    const id = runIdOf(ws);
    const dir = path.join(ws, '.orchestration', id);
    const eventsFile = path.join(dir, 'events.jsonl');
    const lastSeq = (JSON.parse(lines(eventsFile).pop()!) as EngineEvent).seq;
    // A crash mid-append: half an event, no newline. The ledger is lost with it.
    const torn = `{"seq":${lastSeq + 1},"t":"2026-12-07T03:`;
    appendFileSync(eventsFile, torn);
    writeFileSync(path.join(dir, 'ledger.json'), '{"version":1,"runId":');

    forget.on = false;
    const resumed = await cliAsync(['resume', id, '--workspace', ws], fakeEnv(fake));
    expect(resumed.code, resumed.stderr).toBe(0);
    const tornLine = lines(eventsFile).indexOf(torn) + 1;
    expect(resumed.stderr).toContain(`1 torn line skipped (line ${tornLine})`);
    const all = lines(eventsFile);
    expect(all[tornLine - 1]).toBe(torn);
    const next = JSON.parse(all[tornLine]) as EngineEvent;
    expect(next.seq).toBe(lastSeq + 1);
    const read = (await readEvents(eventsFile))!;
    expect(read.skipped).toEqual([{ line: tornLine, reason: expect.stringMatching(/^not JSON/) as unknown }]);
    expect(read.events.map((e) => e.seq)).toEqual(read.events.map((_, i) => i + 1));
    expect(readJson<LedgerSnapshot>(path.join(dir, 'ledger.json')).status).toBe('completed');
  });
});

describe('a disk that fills up or turns read-only mid-run', () => {
  it.each([
    ['ENOSPC', 'no space left on the device', 'Free some space'],
    ['EROFS', 'the file system is read-only', 'Make the run folder writable'],
  ])('%s names the file and the command that resumes the run, which then finishes it', async (code, reason, fix) => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_req, _ctx, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    const faulty = fakeEnv(fake, {
      NODE_OPTIONS: `--require ${FS_FAULT}`, FS_FAULT_CODE: code, FS_FAULT_UNDER: path.join(ws, '.orchestration'), FS_FAULT_AFTER: `${path.sep}workers${path.sep}`,
    });
    const r = await cliAsync(['run', TASK, '--pattern', 'fan-out', '--yes', '--workspace', ws], faulty);
    const id = runIdOf(ws);
    const dir = path.join(ws, '.orchestration', id);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`Could not write ${dir.replace(/[.]/g, '\\.')}/\\S+: ${reason} \\(${code}\\)\\. ${fix}, then continue the run with: npx orchestrate resume ${id} --workspace ${ws.replace(/[.]/g, '\\.')} \\(in VS Code: Orchestration: Resume Run\\)`));
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).not.toMatch(new RegExp(`^${code}:`, 'm'));
    const sent = fake.log.length;
    // It stopped at the refused write instead of running every agent into a disk that takes nothing.
    expect(fake.log.filter((x) => x.agent === 'final')).toEqual([]);

    const status = await cliAsync(['status', id, '--workspace', ws], baseEnv());
    expect(status.stdout).toMatch(new RegExp(`^${id}  interrupted`));
    const resumed = await cliAsync(['resume', id, '--workspace', ws], fakeEnv(fake));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(fake.log.length).toBeGreaterThan(sent);
    expect(readJson<LedgerSnapshot>(path.join(dir, 'ledger.json')).status).toBe('completed');
    // ENOSPC's short write left one torn line, closed before the next append; every other line is an event.
    const all = lines(path.join(dir, 'events.jsonl'));
    const bad = all.map((l, i) => (parses(l) ? -1 : i)).filter((i) => i >= 0);
    expect(bad.length).toBe(code === 'ENOSPC' ? 1 : 0);
    for (const i of bad) expect(parses(all[i + 1])).toBe(true);
  });
});

describe('a reader that closes the pipe', () => {
  it('`orchestrate status | head -1` ends quietly: exit 0, no EPIPE stack', () => {
    const ws = makeWorkspace();
    const run = spawnSync(process.execPath, [CLI, 'run', TASK, '--pattern', 'fan-out', '--simulate', '--yes', '--workspace', ws], { env: baseEnv(), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const id = runIdOf(ws);
    // Enough agents that status writes far more than a pipe holds (64 KB), so the writer meets the closed pipe.
    const file = path.join(ws, '.orchestration', id, 'ledger.json');
    padLedger(file, 3000);
    const errFile = path.join(os.tmpdir(), `epipe-${process.pid}-${Date.now()}.txt`);
    const sh = spawnSync('bash', ['-c', `"$0" "$1" status "$2" --workspace "$3" 2>"$4" | head -1; echo "exit=\${PIPESTATUS[0]}"`, process.execPath, CLI, id, ws, errFile], { encoding: 'utf8', env: baseEnv() });
    expect(sh.stdout.split('\n')[0]).toMatch(new RegExp(`^${id}  completed`));
    expect(sh.stdout).toContain('exit=0');
    expect(readFileSync(errFile, 'utf8')).toBe('');
  });
});

describe('the task size limit', () => {
  it('a 1 MB task from --task-file is refused with its size and the maximum, before any request', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws);
    const file = path.join(ws, 'task.txt');
    writeFileSync(file, 'a'.repeat(1024 * 1024));
    const r = await cliAsync(['run', '--task-file', file, '--yes', '--workspace', ws], fakeEnv(fake));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`The task file ${file} is 1,048,576 characters; at most 20,000 are allowed.`);
    expect(r.stderr).not.toMatch(STACK);
    expect(fake.log).toEqual([]);
    expect(existsSync(path.join(ws, '.orchestration'))).toBe(false);
  });

  it('a task at the maximum plans, from --task-file and from standard input (--task-file -)', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_req, _ctx, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    // Multi-byte characters count as one each: the limit is in characters, not bytes.
    const task = `${TASK}. ${'é'.repeat(MAX_TASK_CHARS - TASK.length - 2)}`;
    expect([...task].length).toBe(MAX_TASK_CHARS);
    const file = path.join(ws, 'task.md');
    writeFileSync(file, `${task}\n`);
    const r = await cliAsync(['run', '--task-file', file, '--pattern', 'fan-out', '--yes', '--workspace', ws], fakeEnv(fake));
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(readJson<LedgerSnapshot>(path.join(ws, '.orchestration', runIdOf(ws), 'ledger.json')).task).toBe(task);

    const ws2 = makeWorkspace();
    const child = spawn(process.execPath, [CLI, 'run', '--task-file', '-', '--pattern', 'fan-out', '--yes', '--workspace', ws2], { env: fakeEnv(fake), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += String(d); });
    child.stdout.resume();
    child.stdin.end(task);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr.slice(-2000)).toBe(0);
    expect(readJson<LedgerSnapshot>(path.join(ws2, '.orchestration', runIdOf(ws2), 'ledger.json')).task).toBe(task);
  });

  it('a task one character over, as an argument or to the engine, is refused with its size and the maximum', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws);
    const over = 'b'.repeat(MAX_TASK_CHARS + 1);
    const r = await cliAsync(['run', over, '--yes', '--workspace', ws], fakeEnv(fake));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The task is 20,001 characters; at most 20,000 are allowed.');
    await expect(orchestrator(fake).plan({ task: over })).rejects.toThrow('The task is 20,001 characters; at most 20,000 are allowed.');
    expect(fake.log).toEqual([]);
  });
});
