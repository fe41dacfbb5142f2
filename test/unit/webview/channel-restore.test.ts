// @vitest-environment happy-dom
/** The page end of a panel's restore: it keeps what the panel shows beside its last message. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { connect } from '../../../webview/channel';

const Msg = z.discriminatedUnion('type', [z.object({ type: z.literal('state'), n: z.number() }).strict()]);

function fakeApi(state: unknown) {
  const api = { state, posted: [] as unknown[], getState: () => api.state, setState: vi.fn((s: unknown) => { api.state = s; }), postMessage: (m: unknown) => api.posted.push(m) };
  (globalThis as { acquireVsCodeApi?: () => typeof api }).acquireVsCodeApi = () => api;
  return api;
}

afterEach(() => { delete document.body.dataset.restore; });

describe('a panel page\'s saved state', () => {
  it('holds what the host said the panel shows from the start, then beside each message saved', () => {
    document.body.dataset.restore = JSON.stringify({ runId: '20250601-115500-ab12' });
    const api = fakeApi(undefined);
    const state = vi.fn();
    const channel = connect('Test', Msg, { state });
    channel.start();
    expect(api.state).toEqual({ restore: { runId: '20250601-115500-ab12' }, last: null });
    expect(api.posted).toEqual([{ type: 'ready' }]);
    channel.save({ type: 'state', n: 2 });
    expect(api.state).toEqual({ restore: { runId: '20250601-115500-ab12' }, last: { type: 'state', n: 2 } });
  });

  it('renders the last message at once after a reload, and a state saved before restoring existed too', () => {
    document.body.dataset.restore = JSON.stringify({ runId: 'r' });
    fakeApi({ restore: { runId: 'r' }, last: { type: 'state', n: 7 } });
    const state = vi.fn();
    connect('Test', Msg, { state }).start();
    expect(state).toHaveBeenCalledWith({ type: 'state', n: 7 });
    const older = vi.fn();
    const api = fakeApi({ type: 'state', n: 3 });
    connect('Test', Msg, { state: older }).start();
    expect(older).toHaveBeenCalledWith({ type: 'state', n: 3 });
    expect(api.state).toEqual({ restore: { runId: 'r' }, last: { type: 'state', n: 3 } });
  });
});
