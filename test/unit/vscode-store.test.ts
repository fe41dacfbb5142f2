import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
vi.mock('../../src/engine', async (importOriginal) => {
  const engine = await importOriginal<typeof import('../../src/engine')>();
  const listRuns = vi.fn(async (..._args: unknown[]) => [] as Awaited<ReturnType<typeof engine.listRuns>>);
  // The store scans once for readable and damaged runs; these tests set the readable ones through listRuns.
  const scanRuns = vi.fn(async (...args: unknown[]) => ({ runs: await listRuns(...args), damaged: [] as InstanceType<typeof engine.LedgerDamagedError>[] }));
  return { ...engine, listRuns, scanRuns };
});
import { LedgerDamagedError, listRuns, scanRuns } from '../../src/engine';
import { RunLocation } from '../../src/vscode/location';
import { RunStore, type LiveRun } from '../../src/vscode/runs/runStore';
import { fakeRun, snapshot } from './vscode/fixtures';
import { resetStub, Uri, workspace } from './vscode-stub';

const silent = { info() {}, warn() {}, error() {} };

beforeEach(() => { resetStub(); vi.mocked(listRuns).mockReset(); workspace.workspaceFolders = [{ uri: Uri.file('/ws') }]; });
afterEach(() => vi.useRealTimers());

describe('RunStore', () => {
  it('lists a run whose ledger.json is damaged as interrupted, naming the file, so Resume (which rebuilds it) is offered', async () => {
    const damaged = new LedgerDamagedError('20250602-101500-cd34', '/ws/.orchestration/20250602-101500-cd34/ledger.json', 'not JSON: Unexpected end of JSON input');
    vi.mocked(scanRuns).mockResolvedValueOnce({ runs: [snapshot({ status: 'completed' })], damaged: [damaged] });
    const store = new RunStore(new RunLocation(), silent);
    await store.refresh();
    expect(store.runs().map((r) => [r.runId, r.status])).toEqual([['20250602-101500-cd34', 'interrupted'], ['20250601-115500-ab12', 'completed']]);
    expect(store.get('20250602-101500-cd34')?.reason).toMatch(/ledger\.json.*Unexpected end of JSON input/);
    expect(store.get('20250602-101500-cd34')?.task).toMatch(/Resume rebuilds it from events\.jsonl/);
    store.dispose();
  });

  it('rebuilds from the ledgers on disk, newest first, and prefers a live run ledger', async () => {
    const older = snapshot({ runId: '20250101-000000-aaaa', createdAt: '2025-01-01T00:00:00Z', status: 'completed' });
    const newer = snapshot({ runId: '20250601-115500-ab12', status: 'interrupted' });
    vi.mocked(listRuns).mockResolvedValue([newer, older]);
    const store = new RunStore(new RunLocation(), silent);
    await store.refresh();
    expect(store.runs().map((r) => [r.runId, r.status])).toEqual([[newer.runId, 'interrupted'], [older.runId, 'completed']]);
    store.attach(fakeRun(snapshot({ status: 'running' })) as unknown as LiveRun);
    expect(store.get(newer.runId)?.status).toBe('running');
    store.detach(newer.runId);
    expect(store.get(newer.runId)?.status).toBe('running');
    store.dispose();
  });

  it('keeps re-reading while another process owns a running run, so its death shows as interrupted', async () => {
    vi.useFakeTimers();
    const id = '20250601-115500-ab12';
    vi.mocked(listRuns).mockResolvedValueOnce([snapshot({ status: 'running' })]).mockResolvedValue([snapshot({ status: 'interrupted' })]);
    const store = new RunStore(new RunLocation(), silent);
    await vi.advanceTimersByTimeAsync(10);
    expect(store.get(id)?.status).toBe('running');
    await vi.advanceTimersByTimeAsync(5_100);
    expect(store.get(id)?.status).toBe('interrupted');
    const calls = vi.mocked(listRuns).mock.calls.length;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(vi.mocked(listRuns).mock.calls.length).toBe(calls);
    store.dispose();
  });
});
