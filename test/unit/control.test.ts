import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTROL_DIR, sendControl, watchControl, type ControlRequest } from '../../src/engine/run/control';

const runDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'orch-ctl-'));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('the control channel of a running run', () => {
  it('carries a stop request to the owner and its answer back', async () => {
    const dir = runDir();
    const seen: ControlRequest[] = [];
    const watch = watchControl(dir, (req) => { seen.push(req); return { ok: true, message: `stopped ${req.agentId}` }; }, { intervalMs: 20 });
    try {
      expect(await sendControl(dir, { command: 'stop', agentId: 'a1' }, { timeoutMs: 2_000, pollMs: 10 })).toEqual({ ok: true, message: 'stopped a1' });
    } finally {
      watch.dispose();
    }
    expect(seen).toEqual([expect.objectContaining({ command: 'stop', agentId: 'a1', from: process.pid })]);
    expect(readdirSync(path.join(dir, CONTROL_DIR))).toEqual([]);
  });

  it('answers a malformed or stale request with why, and never hands it to the owner', async () => {
    const dir = runDir();
    mkdirSync(path.join(dir, CONTROL_DIR));
    writeFileSync(path.join(dir, CONTROL_DIR, '1-1-aa.req.json'), '{"command":"delete-everything","agentId":"a1"}');
    writeFileSync(path.join(dir, CONTROL_DIR, '1-1-bb.req.json'), JSON.stringify({ command: 'stop', agentId: 'a1', from: 1, t: '2020-01-01T00:00:00.000Z' }));
    writeFileSync(path.join(dir, CONTROL_DIR, '1-1-cc.req.json'), 'not json');
    let handled = 0;
    const watch = watchControl(dir, () => { handled++; return { ok: true, message: 'done' }; }, { intervalMs: 20 });
    await sleep(200);
    watch.dispose();
    expect(handled).toBe(0);
    const reply = (stem: string): { ok: boolean; message: string } => JSON.parse(readFileSync(path.join(dir, CONTROL_DIR, `${stem}.reply.json`), 'utf8')) as { ok: boolean; message: string };
    expect(reply('1-1-aa').ok).toBe(false);
    expect(reply('1-1-aa').message).toMatch(/malformed: command/);
    expect(reply('1-1-bb').ok).toBe(false);
    expect(reply('1-1-bb').message).toMatch(/s old; ignored/);
    expect(reply('1-1-cc')).toEqual({ ok: false, message: 'the request is not valid JSON' });
  });

  it('withdraws a request nobody answered, so no later execution acts on it', async () => {
    const dir = runDir();
    expect(await sendControl(dir, { command: 'stop', agentId: 'a1' }, { timeoutMs: 100, pollMs: 10 })).toBeNull();
    expect(readdirSync(path.join(dir, CONTROL_DIR))).toEqual([]);
  });
});
