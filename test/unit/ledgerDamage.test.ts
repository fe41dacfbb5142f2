import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseCli } from '../../src/cli/args';
import { readTaskFile } from '../../src/cli/taskFile';
import { parseConfig } from '../../src/engine/config';
import { appendFileCountingSync, StorageError } from '../../src/engine/files';
import { eventsTail, readEvents } from '../../src/engine/ledger/events';
import { Ledger, PLANNER_ID } from '../../src/engine/ledger/ledger';
import { LedgerDamagedError, readSnapshotFile } from '../../src/engine/ledger/rebuild';
import { readLedger, scanRuns } from '../../src/engine/ledger/runs';
import { compileFanOut } from '../../src/engine/patterns/fan-out/compile';
import { agentRecord } from '../../src/engine/patterns/pattern';
import { MAX_TASK_CHARS, taskLength, taskTooLong } from '../../src/engine/plan/task';
import type { EngineEvent, LedgerSnapshot } from '../../src/engine/types';
import { asStored } from './planFixtures';

const config = parseConfig({});
const RUN_ID = '20260101-000000-abcd';
let root: string;
let dir: string;

function fresh(): Ledger {
  const planner = agentRecord(config, { id: PLANNER_ID, role: 'planner', domain: null, tier: 'sonnet', task: 'Plan', scope: [], dependsOn: [], outputFile: 'plan.json' });
  const l = Ledger.create(dir, { runId: RUN_ID, task: 't', workspace: root, simulated: false }, [planner], { snapshotIntervalMs: 10_000 });
  const { agents, groups } = compileFanOut(asStored({ task: 't', summary: '', domains: [{ id: 'a', name: 'A', brief: 'b', workers: [{ id: 'a1', task: 'x', scope: ['src'], tier: 'haiku' }] }] }), config);
  l.setPlanned(agents, { tokensLow: 1, tokensHigh: 2, costLowUsd: 0, costHighUsd: 0 }, { pattern: 'fan-out', patternReason: 'r', groups });
  return l;
}

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'damage-'));
  dir = path.join(root, '.orchestration', RUN_ID);
  await fs.mkdir(dir, { recursive: true });
});

describe('a damaged ledger.json', () => {
  it('is rebuilt from events.jsonl when a crash left it behind the events it reflects (a batch id in the events only)', async () => {
    const l = fresh();
    await l.close();
    const behind = await fs.readFile(path.join(dir, 'ledger.json'), 'utf8');
    // A second process records a batch; its snapshot write is then lost, as a kill -9 between the two writes loses it.
    const again = await Ledger.load(dir);
    await again.recordBatch({ id: 'msgbatch_x', submittedAt: '2026-01-01T00:00:00Z', requests: [{ customId: 'a1__1', agentId: 'a1' }], status: 'in_progress', counts: { processing: 1, succeeded: 0, errored: 0, canceled: 0, expired: 0 }, notes: [] });
    await again.close();
    await fs.writeFile(path.join(dir, 'ledger.json'), behind);
    expect((JSON.parse(behind) as LedgerSnapshot).seq).toBeLessThan((await eventsTail(path.join(dir, 'events.jsonl'))).lastSeq);
    const loaded = await Ledger.load(dir);
    expect(loaded.batches.map((b) => b.id)).toEqual(['msgbatch_x']);
    expect(loaded.rebuilt?.reason).toMatch(/^it was \d+ events behind events\.jsonl$/);
    await loaded.close();
  });

  it('lists only well-formed batch records to readLedger and scanRuns: a shipped run folder cannot feed the views a malformed one', async () => {
    const l = fresh();
    await l.close();
    const file = path.join(dir, 'ledger.json');
    const good = { id: 'msgbatch_ok', submittedAt: '2026-01-01T00:00:00Z', requests: [{ customId: 'a1__1', agentId: 'a1' }], status: 'in_progress', counts: { processing: 1, succeeded: 0, errored: 0, canceled: 0, expired: 0 }, notes: [] };
    const bad = { id: 'msgbatch_bad', status: 'in_progress', requests: 'all of them' };
    await fs.writeFile(file, JSON.stringify({ ...JSON.parse(await fs.readFile(file, 'utf8')) as object, batches: [good, bad] }));
    expect((await readLedger(root, '.orchestration', RUN_ID)).batches?.map((b) => b.id)).toEqual(['msgbatch_ok']);
    expect((await scanRuns(root, '.orchestration')).runs[0].batches?.map((b) => b.id)).toEqual(['msgbatch_ok']);
  });

  it('is reported as damaged, naming the file, by readLedger and scanRuns; a missing one is "not found"', async () => {
    const l = fresh();
    await l.close();
    await fs.writeFile(path.join(dir, 'ledger.json'), '{"version":1,"runId":"x","ag');
    const file = path.join(dir, 'ledger.json');
    await expect(readLedger(root, '.orchestration', RUN_ID)).rejects.toThrow(`Run ${RUN_ID}: ${file} is damaged (not JSON: `);
    const { runs, damaged } = await scanRuns(root, '.orchestration');
    expect(runs).toEqual([]);
    expect(damaged.map((d) => [d.runId, d.file])).toEqual([[RUN_ID, file]]);
    await expect(readLedger(root, '.orchestration', '20260101-000000-ffff')).rejects.toThrow(/not found \(no .+ledger\.json\)/);
  });

  it('valid JSON of the wrong shape is damaged too, with the field that is wrong', async () => {
    await fs.writeFile(path.join(dir, 'ledger.json'), JSON.stringify({ version: 1, runId: RUN_ID, task: 't', status: 'running', agents: 'none' }));
    const err = await readSnapshotFile(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LedgerDamagedError);
    expect((err as Error).message).toMatch(/is damaged \(not a ledger: agents: /);
  });

  it('Ledger.load rebuilds it from events.jsonl, keeps the damaged copy, and writes the rebuilt one with the next snapshot', async () => {
    const l = fresh();
    l.transition('a1', 'queued');
    l.transition('a1', 'running', { attempts: 1 });
    l.addUsage('a1', 'm', { input: 3, output: 4, cacheRead: 0, cacheWrite: 0 }, 0.5);
    l.setRunStatus('running');
    await l.close();
    const expected = JSON.parse(await fs.readFile(path.join(dir, 'ledger.json'), 'utf8')) as LedgerSnapshot;
    await fs.writeFile(path.join(dir, 'ledger.json'), '');
    const again = await Ledger.load(dir);
    expect(again.rebuilt).toMatchObject({ reason: 'it is empty', skipped: [], keptAs: path.join(dir, 'ledger.json.damaged') });
    expect(again.snapshot()).toEqual({ ...expected, pid: null, updatedAt: again.snapshot().updatedAt });
    await again.flush();
    expect((await readSnapshotFile(dir)).totals.costUsd).toBe(0.5);
  });

  it('a batch id recorded is on disk at once, and a rebuild from events.jsonl keeps every batch as last recorded', async () => {
    const l = fresh();
    const batch = {
      id: 'msgbatch_01', submittedAt: '2026-01-01T00:00:00.000Z', status: 'in_progress' as const, notes: [],
      requests: [{ customId: 'a1__1', agentId: 'a1' }], counts: { processing: 1, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
    };
    await l.recordBatch(batch);
    // Written before recordBatch resolved, not at the next snapshot: a kill now leaves the id on disk.
    expect((await readSnapshotFile(dir)).batches?.map((b) => b.id)).toEqual(['msgbatch_01']);
    expect(await fs.readFile(path.join(dir, 'events.jsonl'), 'utf8')).toContain('"kind":"batch"');
    await l.recordBatch({ ...batch, status: 'collected', outcomes: { a1__1: 'expired' }, notes: ['1 of 1 requests did not succeed (1 expired)'] });
    await l.close();
    await fs.writeFile(path.join(dir, 'ledger.json'), '');
    const again = await Ledger.load(dir);
    expect(again.batches).toEqual([{ ...batch, status: 'collected', outcomes: { a1__1: 'expired' }, notes: ['1 of 1 requests did not succeed (1 expired)'] }]);
  });

  it('a log without the run header cannot rebuild it, and the error names both files', async () => {
    await fs.writeFile(path.join(dir, 'ledger.json'), '{');
    await fs.writeFile(path.join(dir, 'events.jsonl'), `${JSON.stringify({ seq: 1, t: 'x', type: 'log', level: 'info', message: 'old' })}\n`);
    await expect(Ledger.load(dir)).rejects.toThrow(/ledger\.json is damaged \(not JSON: .+\) and cannot be rebuilt: .+events\.jsonl has no run header/);
  });
});

describe('events.jsonl', () => {
  it('a torn last line is closed with a newline before the next append; readers skip it', async () => {
    const l = fresh();
    await l.close();
    const file = path.join(dir, 'events.jsonl');
    await fs.appendFile(file, '{"seq":3,"t":"20');
    expect(await eventsTail(file)).toEqual({ lastSeq: 2, endsTorn: true });
    const again = await Ledger.load(dir);
    again.log('info', 'after the crash');
    await again.close();
    const read = (await readEvents(file))!;
    expect(read.skipped).toEqual([{ line: 3, reason: expect.stringMatching(/^not JSON/) as unknown }]);
    expect(read.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect((read.events[2] as Extract<EngineEvent, { type: 'log' }>).message).toBe('after the crash');
    expect(read.endsTorn).toBe(false);
  });

  it('eventsTail finds the last event behind a line longer than its first window', async () => {
    const file = path.join(dir, 'events.jsonl');
    const big = JSON.stringify({ seq: 7, t: 'x', type: 'log', level: 'info', message: 'y'.repeat(300_000) });
    await fs.writeFile(file, `${JSON.stringify({ seq: 6, t: 'x', type: 'log', level: 'info', message: 'a' })}\n${big}\n`);
    expect(await eventsTail(file)).toEqual({ lastSeq: 7, endsTorn: false });
    expect(await eventsTail(path.join(dir, 'missing.jsonl'))).toEqual({ lastSeq: 0, endsTorn: false });
  });
});

describe('storage errors', () => {
  it('name the file and, for a run, the command that resumes it', () => {
    const e = new StorageError('/ws/.orchestration/r/ledger.json', 'ENOSPC', new Error('ENOSPC: no space left on device, write'));
    expect(e.message).toBe('Could not write /ws/.orchestration/r/ledger.json: no space left on the device (ENOSPC)');
    expect(e.forRun(RUN_ID).message).toBe(`${e.message}. Free some space, then continue the run with: orchestrate resume ${RUN_ID} (in VS Code: Orchestration: Resume Run)`);
    expect(new StorageError('/f', 'EROFS', null).forRun(RUN_ID).message).toMatch(/read-only \(EROFS\)\. Make the run folder writable, then continue/);
    // A run still planning has nothing to resume.
    expect(e.forRun(RUN_ID, false).message).toBe(`${e.message}. Free some space, then run the task again: run ${RUN_ID} stopped while planning, so nothing of it ran`);
  });

  it.skipIf(!existsSync('/dev/full'))('a full disk (/dev/full) refuses an append with a StorageError that counts what landed', () => {
    let err: unknown;
    try { appendFileCountingSync('/dev/full', Buffer.from('{"seq":1}\n')); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ file: '/dev/full', code: 'ENOSPC', written: 0 });
  });

  it.skipIf(!existsSync('/dev/full'))('the ledger reports the first refused write once, keeps the unwritten events, and writes them when the disk takes them again', async () => {
    const l = fresh();
    l.setRunStatus('awaiting-approval');
    await l.flush();
    const file = path.join(dir, 'events.jsonl');
    const before = (await readEvents(file))!.events.length;
    await fs.rename(file, `${file}.kept`);
    await fs.symlink('/dev/full', file);
    const seen: StorageError[] = [];
    l.onStorageError((e) => seen.push(e));
    l.transition('a1', 'queued');
    await expect(l.flush()).rejects.toThrow(`Could not write ${file}: no space left on the device (ENOSPC). Free some space, then continue the run with: orchestrate resume ${RUN_ID}`);
    l.transition('a1', 'running', { attempts: 1 });
    await expect(l.flush()).rejects.toBeInstanceOf(StorageError);
    expect(seen.map((e) => e.file)).toEqual([file]);
    await fs.rm(file);
    await fs.rename(`${file}.kept`, file);
    await l.close();
    const read = (await readEvents(file))!;
    expect(read.skipped).toEqual([]);
    expect(read.events.slice(before).map((e) => e.type === 'agent' && e.status)).toEqual(['queued', 'running']);
  });
});

describe('the task size limit', () => {
  it('counts characters, not UTF-16 units or bytes, and says the size and the maximum', () => {
    expect(taskLength('a😀é')).toBe(3);
    expect(taskTooLong('x'.repeat(MAX_TASK_CHARS))).toBeNull();
    expect(taskTooLong('😀'.repeat(MAX_TASK_CHARS))).toBeNull();
    expect(taskTooLong('x'.repeat(MAX_TASK_CHARS + 1))).toBe('The task is 20,001 characters; at most 20,000 are allowed. Put long material in a file in the workspace and name that file in the task.');
  });

  it('--task-file goes with run, instead of the task argument', () => {
    expect(parseCli(['run', '--task-file', 'task.md']).taskFile).toBe('task.md');
    expect(parseCli(['run', '--task-file', '-']).taskFile).toBe('-');
    expect(() => parseCli(['run', 'a task', '--task-file', 't.md'])).toThrow('run takes the task as an argument or from --task-file, not both');
    expect(() => parseCli(['status', '--task-file', 't.md'])).toThrow('--task-file goes with run');
    expect(() => parseCli(['run'])).toThrow(/run needs a task: .+\(or --task-file PATH\)/);
  });

  it('readTaskFile measures an oversized stream without keeping it, and refuses an empty or missing file', async () => {
    const huge = Readable.from(Array.from({ length: 100 }, () => 'z'.repeat(10_000)));
    await expect(readTaskFile('-', huge)).rejects.toThrow('The task on standard input is 1,000,000 characters; at most 20,000 are allowed.');
    await expect(readTaskFile('-', Readable.from(['  \n']))).rejects.toThrow('The task on standard input is empty');
    await expect(readTaskFile(path.join(root, 'nope.md'))).rejects.toThrow(`Cannot read the task file ${path.join(root, 'nope.md')}: it does not exist`);
    await expect(readTaskFile('-', Readable.from(['  Audit it \n']))).resolves.toBe('Audit it');
  });
});
