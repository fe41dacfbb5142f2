import { afterEach, describe, expect, it } from 'vitest';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import type { BatchClient, BatchItem, BatchResult } from '../../src/engine/model/client';
import { ModelError } from '../../src/engine/model/client';
import { startMessagesServer, type MessagesServer, type MessagesServerOptions } from '../../src/simulator/server';
import type { ParsedRequest, Reply } from '../../src/simulator/types';

// The emulated Message Batches endpoints, driven through the engine's batch client over the real SDK.
const servers: MessagesServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const echo = (req: ParsedRequest): Reply => {
  const first = req.messages[0]?.content[0];
  return { kind: 'message', content: [{ type: 'text', text: `echo: ${first?.type === 'text' ? first.text : ''}` }] };
};

async function serve(opts: Partial<MessagesServerOptions> = {}): Promise<{ server: MessagesServer; batches: BatchClient }> {
  const server = await startMessagesServer({ handler: echo, ...opts });
  servers.push(server);
  const batches = new AnthropicModelClient({ apiKey: 'test', baseUrl: server.url }).batches;
  return { server, batches };
}

const item = (customId: string, text = customId): BatchItem => ({
  customId,
  request: { model: 'claude-haiku-5-5', maxTokens: 512, system: [{ type: 'text', text: 'You map files.' }], messages: [{ role: 'user', content: [{ type: 'text', text }] }] },
});

const signal = new AbortController().signal;

async function drain(it: AsyncIterable<BatchResult>): Promise<{ got: BatchResult[]; error: unknown }> {
  const got: BatchResult[] = [];
  try {
    for await (const r of it) got.push(r);
    return { got, error: null };
  } catch (error) {
    return { got, error };
  }
}

describe('emulated Message Batches endpoints through the SDK', () => {
  it('creates a batch, reports it ended with counts, lists it and streams each answer as a result line', async () => {
    const { batches } = await serve();
    const created = await batches.create([item('m1__1', 'alpha'), item('m2__1', 'beta')], signal);
    expect(created.id).toMatch(/^msgbatch_/);
    const state = await batches.retrieve(created.id, signal);
    expect(state).toMatchObject({ status: 'ended', counts: { processing: 0, succeeded: 2, errored: 0, canceled: 0, expired: 0 } });
    expect((await batches.list(signal)).map((b) => b.id)).toEqual([created.id]);
    const { got, error } = await drain(batches.results(created.id, signal));
    expect(error).toBeNull();
    expect(got.map((r) => r.kind === 'succeeded' ? [r.customId, r.response.content[0]] : [r.customId, r.kind])).toEqual([
      ['m1__1', { type: 'text', text: 'echo: alpha' }],
      ['m2__1', { type: 'text', text: 'echo: beta' }],
    ]);
  });

  it('keeps a batch in progress until its requests are processed, and a cancel ends the unfinished ones as canceled', async () => {
    const { server, batches } = await serve({ batches: { processingMs: (id) => id.startsWith('slow') ? 3_600_000 : 0 } });
    const created = await batches.create([item('fast__1'), item('slow__1')], signal);
    expect(await batches.retrieve(created.id, signal)).toMatchObject({ status: 'in_progress', counts: { processing: 1, succeeded: 1 } });
    expect(server.batches.cancel(created.id)).toBe(true);
    expect(await batches.retrieve(created.id, signal)).toMatchObject({ status: 'ended', counts: { processing: 0, succeeded: 1, canceled: 1 } });
    const { got } = await drain(batches.results(created.id, signal));
    expect(got.map((r) => [r.customId, r.kind])).toEqual([['fast__1', 'succeeded'], ['slow__1', 'canceled']]);
  });

  it('expires what is unfinished at the expiry time, and ends errored requests as errored', async () => {
    const { batches } = await serve({ batches: { processingMs: (_id, i) => i * 1000, expiresAfterMs: 1500, errored: (id) => id === 'a__1' } });
    const created = await batches.create([item('a__1'), item('b__1'), item('c__1'), item('d__1')], signal);
    // Nothing finishes before its time: wait for the expiry through retrieve alone.
    let state = await batches.retrieve(created.id, signal);
    while (state.status !== 'ended') {
      await new Promise((r) => setTimeout(r, 50));
      state = await batches.retrieve(created.id, signal);
    }
    expect(state.counts).toEqual({ processing: 0, succeeded: 1, errored: 1, canceled: 0, expired: 2 });
    const { got } = await drain(batches.results(created.id, signal));
    expect(got.map((r) => [r.customId, r.kind])).toEqual([['a__1', 'errored'], ['b__1', 'succeeded'], ['c__1', 'expired'], ['d__1', 'expired']]);
    expect(got[0].kind === 'errored' && got[0].error).toContain('api_error');
  });

  it('yields every complete line of a results file cut mid-line, then a transient error saying so', async () => {
    const { batches } = await serve({ batches: { truncateResults: () => true } });
    const created = await batches.create([item('m1__1'), item('m2__1'), item('m3__1')], signal);
    const { got, error } = await drain(batches.results(created.id, signal));
    expect(got.map((r) => r.customId)).toEqual(['m1__1', 'm2__1']);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).kind).toBe('transient');
    expect((error as ModelError).message).toContain('mid-line after 2 complete lines');
  });

  it('refuses creates with 429 as configured, classified as a transient slow-down', async () => {
    const { server, batches } = await serve({ batches: { rejectCreates: 1 } });
    const err = await batches.create([item('m1__1')], signal).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'transient', status: 429, slowDown: true });
    expect(server.batches.created()).toEqual([]);
    await expect(batches.create([item('m1__1')], signal)).resolves.toMatchObject({ status: 'ended' });
    expect(server.batches.rejectedCreates()).toBe(1);
  });

  it('refuses duplicate custom ids, ids the API would refuse, and answers an unknown batch with 404', async () => {
    const { batches } = await serve();
    await expect(batches.create([item('m1#bad')], signal)).rejects.toMatchObject({ kind: 'invalid', status: 400 });
    await expect(batches.create([item('m1__1'), item('m1__1')], signal)).rejects.toMatchObject({ kind: 'invalid', status: 400 });
    await expect(batches.retrieve('msgbatch_nope', signal)).rejects.toMatchObject({ kind: 'invalid', status: 404 });
  });
});
