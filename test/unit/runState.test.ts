/** The run's lock, its origin mark, and the confinement of paths read back from a run folder. */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/engine/config';
import { markCreatedHere, runOrigin } from '../../src/engine/ledger/origin';
import { checkedOutputRoot, checkedRunDir, confineRunPaths } from '../../src/engine/ledger/runs';
import { CommandRefusedError, LOCK_FILE, takeRunLock } from '../../src/engine/run/lock';

const made: string[] = [];
const tmp = (prefix: string): string => { const d = mkdtempSync(path.join(os.tmpdir(), prefix)); made.push(d); return d; };
afterEach(() => { for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true }); });
const RUN = '20260101-000000-abcd';
const lockAt = (dir: string, holder: Record<string, unknown>): void => writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(holder));

async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

describe('the run lock', () => {
  it('has one owner: of many takers at once exactly one gets it, the rest are refused naming its pid and command', async () => {
    const dir = tmp('orch-lock-');
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => takeRunLock(dir, RUN, 'resume')));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results.filter((x): x is PromiseRejectedResult => x.status === 'rejected')) {
      expect(r.reason).toBeInstanceOf(CommandRefusedError);
      expect(String(r.reason)).toContain(`busy with another command (resume) in this window (process ${process.pid})`);
    }
    await won[0].value.release();
    const again = await takeRunLock(dir, RUN, 'rerun');
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, command: 'rerun' });
    await again.release();
  });

  it('refuses a lock held by another live process, naming its pid and command', async () => {
    const dir = tmp('orch-lock-');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      lockAt(dir, { pid: child.pid, command: 'retry-failed', host: os.hostname(), since: '2026-01-01T00:00:00.000Z' });
      await expect(takeRunLock(dir, RUN, 'resume')).rejects.toThrow(`Run ${RUN} is busy with another command (retry-failed) in process ${child.pid}, since 2026-01-01T00:00:00.000Z`);
    } finally {
      child.kill();
    }
  });

  it('takes over the lock of a process that is gone, and a torn lock once it is old, but waits on one being written', async () => {
    const dir = tmp('orch-lock-');
    lockAt(dir, { pid: await exitedPid(), command: 'run', host: os.hostname(), since: 'x' });
    const a = await takeRunLock(dir, RUN, 'resume');
    await a.release();

    writeFileSync(path.join(dir, LOCK_FILE), '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(path.join(dir, LOCK_FILE), old, old);
    const b = await takeRunLock(dir, RUN, 'resume');
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    await b.release();
  });

  it('refuses a lock from another host (its process cannot be checked from here) and says how to clear it', async () => {
    const dir = tmp('orch-lock-');
    lockAt(dir, { pid: 99999, command: 'run', host: 'elsewhere.example', since: 'x' });
    await expect(takeRunLock(dir, RUN, 'resume')).rejects.toThrow(/in process 99999 on host elsewhere\.example.*if that process is gone, delete .*run\.lock/);
  });

  it('release leaves a lock that is no longer its own', async () => {
    const dir = tmp('orch-lock-');
    const lock = await takeRunLock(dir, RUN, 'resume');
    lockAt(dir, { pid: 4242, command: 'run', host: 'other', since: 'x' });
    await lock.release();
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: 4242 });
  });
});

describe('the origin mark', () => {
  it('proves a run was made here, in this folder; a copy, another machine\'s secret or a secret inside the workspace do not', async () => {
    const ws = tmp('orch-ws-');
    const state = tmp('orch-state-');
    const dir = path.join(ws, '.orchestration', RUN);
    mkdirSync(dir, { recursive: true });
    expect(await markCreatedHere({ dir, runId: RUN, workspace: ws, stateDir: state })).toBe(true);
    expect(await runOrigin({ dir, runId: RUN, workspace: ws, stateDir: state })).toEqual({ local: true });

    const other = tmp('orch-ws-');
    const copy = path.join(other, '.orchestration', RUN);
    cpSync(dir, copy, { recursive: true });
    const copied = await runOrigin({ dir: copy, runId: RUN, workspace: other, stateDir: state });
    expect(copied).toMatchObject({ local: false, movedFrom: realpathSync(dir) });

    const elsewhere = await runOrigin({ dir, runId: RUN, workspace: ws, stateDir: tmp('orch-state-'), claimedWorkspace: '/home/eve/shop' });
    expect(elsewhere).toMatchObject({ local: false, claimedWorkspace: '/home/eve/shop' });
    expect(elsewhere.local === false && elsewhere.reason).toMatch(/another machine's secret.*its ledger says it was created in \/home\/eve\/shop/);

    // A secret the workspace itself holds could have come with it: never trusted.
    const inside = await runOrigin({ dir, runId: RUN, workspace: ws, stateDir: path.join(ws, '.state') });
    expect(inside.local).toBe(false);

    // The mark is for one run id: renaming the folder to another run breaks it.
    const mark = JSON.parse(readFileSync(path.join(dir, 'origin.json'), 'utf8')) as { mac: string };
    writeFileSync(path.join(dir, 'origin.json'), JSON.stringify({ ...mark, runId: '20260101-000000-ffff' }));
    expect((await runOrigin({ dir, runId: RUN, workspace: ws, stateDir: state })).local).toBe(false);
  });
});

describe('paths read back from a run folder', () => {
  it('refuses agent output files and ids that leave the run folder, and accepts the ones the engine writes', async () => {
    const ws = tmp('orch-ws-');
    const dir = path.join(ws, '.orchestration', RUN);
    mkdirSync(path.join(dir, 'workers'), { recursive: true });
    await expect(confineRunPaths(dir, [{ id: 'a1', outputFile: 'workers/a1.md' }, { id: 'coord-a', outputFile: 'synthesis/a.md' }, { id: 'final', outputFile: 'summary.md' }])).resolves.toBeUndefined();
    for (const outputFile of ['../../../x.md', '/tmp/x.md', 'workers/../../x.md', 'workers/a1.sh', 'ledger.json', '', 'C:\\x.md']) {
      await expect(confineRunPaths(dir, [{ id: 'a1', outputFile }]), outputFile).rejects.toThrow(ConfigError);
    }
    await expect(confineRunPaths(dir, [{ id: 'a1', outputFile: '../../../x.md' }])).rejects.toThrow(`${path.join(dir, 'ledger.json')}: agent a1 has outputFile "../../../x.md"`);
    for (const id of ['../a1', 'a/b', '.a', '']) {
      await expect(confineRunPaths(dir, [{ id, outputFile: 'workers/a1.md' }]), id).rejects.toThrow(/is not a plain name/);
    }
  });

  it('refuses an output file, or a folder on its way, that is a symlink leading out', async () => {
    const ws = tmp('orch-ws-');
    const outside = tmp('orch-outside-');
    const dir = path.join(ws, '.orchestration', RUN);
    mkdirSync(path.join(dir, 'workers'), { recursive: true });
    writeFileSync(path.join(outside, 'secret.txt'), 'not for the model');
    symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'workers', 'a1.md'));
    await expect(confineRunPaths(dir, [{ id: 'a1', outputFile: 'workers/a1.md' }])).rejects.toThrow(/resolves through a symlink to .*secret\.txt, outside the run folder/);
    symlinkSync(outside, path.join(dir, 'synthesis'), 'dir');
    await expect(confineRunPaths(dir, [{ id: 'coord-a', outputFile: 'synthesis/a.md' }])).rejects.toThrow(/resolves through a symlink/);
    // A link that stays inside the run folder is fine.
    mkdirSync(path.join(dir, 'real'));
    symlinkSync(path.join(dir, 'real'), path.join(dir, 'experts'), 'dir');
    await expect(confineRunPaths(dir, [{ id: 'e1', outputFile: 'experts/e1.md' }])).resolves.toBeUndefined();
  });

  it('refuses an output root or a run folder whose real path leaves the workspace, naming it', async () => {
    const ws = tmp('orch-ws-');
    const outside = tmp('orch-outside-');
    symlinkSync(outside, path.join(ws, '.orchestration'), 'dir');
    await expect(checkedOutputRoot(ws, '.orchestration')).rejects.toThrow(`The output root ${path.join(ws, '.orchestration')} (setting outputRoot ".orchestration") resolves to`);
    rmSync(path.join(ws, '.orchestration'));
    // A link from one folder of the workspace to another is fine.
    mkdirSync(path.join(ws, 'runs'));
    symlinkSync(path.join(ws, 'runs'), path.join(ws, '.orchestration'), 'dir');
    await expect(checkedOutputRoot(ws, '.orchestration')).resolves.toBe(path.join(ws, '.orchestration'));
    symlinkSync(outside, path.join(ws, 'runs', RUN), 'dir');
    await expect(checkedRunDir(ws, '.orchestration', RUN)).rejects.toThrow(/a symlinked run folder is not followed/);
  });
});
