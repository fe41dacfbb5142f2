import { describe, expect, it, vi } from 'vitest';
import { dispatch, HostMessageSchema, WebviewMessageSchema, type HandlerMap, type WebviewMessage } from '../../src/shared/protocol';
import { buildRunView, runActions } from '../../src/vscode/summaryModel';
import { plan, snapshot } from './vscode/fixtures';

const RUN = '20250601-115500-ab12';

function handlers(): HandlerMap<WebviewMessage> & Record<string, ReturnType<typeof vi.fn>> {
  return { ready: vi.fn(), approve: vi.fn(), cancel: vi.fn(), resume: vi.fn(), retryFailed: vi.fn(), openFile: vi.fn() };
}

describe('webview → host messages', () => {
  it.each([
    { type: 'ready' },
    { type: 'approve', runId: RUN },
    { type: 'cancel', runId: RUN },
    { type: 'resume', runId: RUN },
    { type: 'retryFailed', runId: RUN },
    { type: 'openFile', runId: RUN, path: 'workers/a1.md' },
  ])('accepts $type and calls only its handler', async (msg) => {
    const h = handlers();
    expect(await dispatch(WebviewMessageSchema, h, msg)).toEqual({ ok: true });
    for (const [type, fn] of Object.entries(h)) expect(fn).toHaveBeenCalledTimes(type === msg.type ? 1 : 0);
    expect(h[msg.type]).toHaveBeenCalledWith(msg);
  });

  it.each([
    ['an unknown type', { type: 'runShell', command: 'rm -rf /' }, 'type'],
    ['a missing run id', { type: 'approve' }, 'runId'],
    ['a run id with a path in it', { type: 'cancel', runId: '../../etc' }, 'runId'],
    ['an extra key', { type: 'ready', html: '<script>' }, 'message'],
    ['an empty path', { type: 'openFile', runId: RUN, path: '' }, 'path'],
    ['a non-object', 'approve', 'message'],
    ['null', null, 'message'],
  ])('rejects %s without calling any handler', async (_name, msg, field) => {
    const h = handlers();
    const r = await dispatch(WebviewMessageSchema, h, msg);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^Rejected message: /);
    if (!r.ok && field !== 'message') expect(r.error).toContain(field);
    for (const fn of Object.values(h)) expect(fn).not.toHaveBeenCalled();
  });
});

describe('host → webview messages', () => {
  it('validates the state built from a ledger snapshot', () => {
    const s = snapshot();
    const run = buildRunView(s, plan, null, runActions(s, true));
    const parsed = HostMessageSchema.parse({ type: 'state', run });
    expect(parsed.run?.domains.map((d) => [d.id, d.name, d.done, d.total])).toEqual([['a', 'HTTP surface', 1, 3], ['b', 'Secrets', 1, 2]]);
    expect(parsed.run?.domains[1]?.coordinator?.returned).toContain('**Fix**');
    expect(parsed.run?.totals.parentContextTokens).toBe(1900);
    expect(parsed.run?.actions).toEqual({ approve: false, cancel: true, resume: false, retry: false });
  });

  it('accepts the empty state and rejects a malformed one', () => {
    expect(HostMessageSchema.safeParse({ type: 'state', run: null }).success).toBe(true);
    expect(HostMessageSchema.safeParse({ type: 'state', run: { runId: RUN } }).success).toBe(false);
    expect(HostMessageSchema.safeParse({ type: 'html', html: '<b>' }).success).toBe(false);
  });
});

describe('summary actions', () => {
  it.each([
    ['awaiting-approval', false, { approve: true, cancel: true, resume: false, retry: false }],
    ['running', true, { approve: false, cancel: true, resume: false, retry: false }],
    ['running', false, { approve: false, cancel: false, resume: false, retry: false }],
    ['interrupted', false, { approve: false, cancel: false, resume: true, retry: true }],
    ['cancelled', false, { approve: false, cancel: false, resume: true, retry: true }],
    ['partial', false, { approve: false, cancel: false, resume: true, retry: true }],
    ['completed', false, { approve: false, cancel: false, resume: false, retry: false }],
  ] as const)('a %s run (executing here: %s) offers %o', (status, here, expected) => {
    expect(runActions(snapshot({ status }), here)).toEqual(expected);
  });
});
