import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('vscode', async () => await import('./vscode-stub'));
vi.mock('../../src/engine', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/engine')>()),
  listRuns: vi.fn(async () => []),
}));
import { listRuns } from '../../src/engine';
import { RunLocation } from '../../src/vscode/location';
import { RunStore, type LiveRun } from '../../src/vscode/runStore';
import { fakeRun, snapshot } from './vscode/fixtures';
import { resetStub, Uri, workspace } from './vscode-stub';

const silent = { info() {}, warn() {}, error() {} };

beforeEach(() => { resetStub(); vi.mocked(listRuns).mockReset(); workspace.workspaceFolders = [{ uri: Uri.file('/ws') }]; });
afterEach(() => vi.useRealTimers());

describe('RunStore', () => {
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
