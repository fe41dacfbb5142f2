import Anthropic, { APIError, APIUserAbortError, BadRequestError, NotFoundError } from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { startMessagesServer, type MessagesServer, type MessagesServerOptions } from '../../src/simulator/server';
import type { ParsedRequest, Reply } from '../../src/simulator/types';

const servers: MessagesServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(opts: Partial<MessagesServerOptions> & Pick<MessagesServerOptions, 'handler'>): Promise<{ server: MessagesServer; client: Anthropic }> {
  const server = await startMessagesServer(opts);
  servers.push(server);
  return { server, client: new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0 }) };
}

const ask = { model: 'claude-haiku-5-5', max_tokens: 1024, messages: [{ role: 'user' as const, content: 'hello' }] };

const longText = `Here is a long answer that spans several stream chunks. ${'All work and no play. '.repeat(12)}The end.`;
const toolReply: Reply = {
  kind: 'message',
  content: [
    { type: 'text', text: longText },
    { type: 'tool_use', name: 'read_file', input: { path: 'src/engine/model.ts', start_line: 1, end_line: 40, note: 'x'.repeat(150) } },
    { type: 'tool_use', id: 'toolu_given', name: 'list_files', input: { path: 'src', glob: '**/*.ts' } },
  ],
};

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('simulated Messages API over HTTP', () => {
  it('answers a JSON request with text and tool_use blocks, consistent usage and the echoed model', async () => {
    const { client } = await serve({ handler: () => toolReply });
    const msg = await client.messages.create(ask);
    expect(msg.type).toBe('message');
    expect(msg.model).toBe('claude-haiku-5-5');
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.content).toHaveLength(3);
    expect(msg.content[0]).toMatchObject({ type: 'text', text: longText });
    expect(msg.content[1]).toMatchObject({ type: 'tool_use', name: 'read_file', input: { path: 'src/engine/model.ts', start_line: 1 } });
    expect(msg.content[2]).toMatchObject({ type: 'tool_use', id: 'toolu_given' });
    const ids = msg.content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : []));
    expect(new Set(ids).size).toBe(2);
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
    expect(msg.usage.output_tokens).toBeGreaterThan(0);
    expect(msg.usage.cache_read_input_tokens).toBe(0);
    expect(msg.usage.cache_creation_input_tokens).toBe(0);
  });

  it('streams the same message that messages.stream().finalMessage() accumulates', async () => {
    const { client } = await serve({ handler: () => toolReply });
    const json = await client.messages.create(ask);
    const stream = client.messages.stream(ask);
    let streamedText = '';
    stream.on('text', (delta) => { streamedText += delta; });
    const final = await stream.finalMessage();
    expect(streamedText).toBe(longText);
    const withoutIds = (blocks: Anthropic.ContentBlock[]) => blocks.map((b) => (b.type === 'tool_use' ? { ...b, id: 'x' } : b));
    expect(withoutIds(final.content)).toEqual(withoutIds(json.content));
    expect(final.stop_reason).toBe('tool_use');
    expect(final.usage).toMatchObject({
      input_tokens: json.usage.input_tokens,
      output_tokens: json.usage.output_tokens,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
  });

  it('accepts the beta endpoint and reports the model reportModel maps to', async () => {
    const seen: ParsedRequest[] = [];
    const { client } = await serve({
      handler: (req) => { seen.push(req); return { kind: 'message', content: [{ type: 'text', text: 'ok' }] }; },
      reportModel: (m) => `${m}-20990101`,
    });
    const msg = await client.beta.messages.create({ ...ask, betas: ['token-efficient-tools-2025-02-19'] });
    expect(msg.model).toBe('claude-haiku-5-5-20990101');
    expect(msg.stop_reason).toBe('end_turn');
    const raw = await fetch(`${servers[0].url}/v1/messages?beta=true`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ask),
    });
    expect(raw.status).toBe(200);
    expect(seen.map((r) => r.beta)).toEqual([true, true]);
  });

  it('surfaces an error reply as APIError with its status, type and retry-after header', async () => {
    const { client } = await serve({
      handler: () => ({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded', headers: { 'retry-after': '3' } }),
    });
    const err = await client.messages.create(ask).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    const api = err as APIError;
    expect(api.status).toBe(529);
    expect(api.type).toBe('overloaded_error');
    expect(api.headers?.get('retry-after')).toBe('3');
    expect(api.requestID).toMatch(/^req_sim_/);
  });

  it('surfaces an event: error inside a stream as APIError with type overloaded_error', async () => {
    const { client, server } = await serve({ handler: () => ({ kind: 'midstream-error', afterBlocks: 1 }) });
    const stream = client.messages.stream(ask);
    let text = '';
    stream.on('text', (d) => { text += d; });
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).type).toBe('overloaded_error');
    expect(text).toBe('Working on it');
    expect(server.stats.requests[0]?.outcome).toBe('midstream-error');
  });

  it('answers a non-streaming request that would fail mid-stream with a 529', async () => {
    const { client } = await serve({ handler: () => ({ kind: 'midstream-error' }) });
    const err = await client.messages.create(ask).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(529);
  });

  it('holds a hanging request until the client aborts, then frees the in-flight slot', async () => {
    const { client, server } = await serve({ handler: () => ({ kind: 'hang' }) });
    const ac = new AbortController();
    const pending = client.messages.create(ask, { signal: ac.signal }).catch((e: unknown) => e);
    await until(() => server.stats.inFlightByModel['claude-haiku-5-5'] === 1);
    expect(server.stats.inFlight).toBe(1);
    ac.abort();
    expect(await pending).toBeInstanceOf(APIUserAbortError);
    await until(() => server.stats.inFlight === 0);
    expect(server.stats.inFlightByModel['claude-haiku-5-5']).toBe(0);
    expect(server.stats.requests[0]?.outcome).toBe('aborted');
  });

  it('stops waiting out its latency when the client goes away', async () => {
    const { client, server } = await serve({ handler: () => toolReply, latencyMs: () => 60_000 });
    const ac = new AbortController();
    const pending = client.messages.create(ask, { signal: ac.signal }).catch((e: unknown) => e);
    await until(() => server.stats.inFlight === 1);
    ac.abort();
    expect(await pending).toBeInstanceOf(APIUserAbortError);
    await until(() => server.stats.inFlight === 0);
  });

  it('makes a malformed JSON body and a broken stream fail in the SDK', async () => {
    const server = await startMessagesServer({ handler: () => ({ kind: 'malformed' }) });
    servers.push(server);
    const client = new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0, logLevel: 'off' });
    await expect(client.messages.create(ask)).rejects.toThrow();
    await expect(client.messages.stream(ask).finalMessage()).rejects.toThrow();
  });

  it('rejects invalid bodies with 400 and unknown paths with 404', async () => {
    const { client, server } = await serve({ handler: () => toolReply });
    const bad = await client.messages.create({ ...ask, max_tokens: 0 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect((bad as APIError).type).toBe('invalid_request_error');
    expect((bad as APIError).message).toContain('max_tokens');
    const cc = { type: 'ephemeral' as const };
    const tooMany = await client.messages.create({
      ...ask,
      system: [1, 2, 3, 4, 5].map((i) => ({ type: 'text' as const, text: `s${i}`, cache_control: cc })),
    }).catch((e: unknown) => e);
    expect((tooMany as APIError).message).toContain('A maximum of 4 blocks with cache_control');
    const missing = await client.models.list().catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(server.stats.totalRequests).toBe(3);
  });

  it('counts requests and the most in flight at once, overall and per model', async () => {
    const { client, server } = await serve({ handler: () => toolReply, latencyMs: () => 150 });
    const haiku = Array.from({ length: 3 }, () => client.messages.create(ask));
    const sonnet = Array.from({ length: 2 }, () => client.messages.stream({ ...ask, model: 'claude-sonnet-5-5' }).finalMessage());
    await Promise.all([...haiku, ...sonnet]);
    const s = server.stats;
    expect(s.totalRequests).toBe(5);
    expect(s.requestsByModel).toEqual({ 'claude-haiku-5-5': 3, 'claude-sonnet-5-5': 2 });
    expect(s.maxInFlightByModel).toEqual({ 'claude-haiku-5-5': 3, 'claude-sonnet-5-5': 2 });
    expect(s.maxInFlight).toBe(5);
    await until(() => server.stats.inFlight === 0);
    server.resetStats();
    expect(server.stats.totalRequests).toBe(0);
    expect(server.stats.maxInFlight).toBe(0);
  });

  it('keeps parsed requests only when asked and calls onRequest for each', async () => {
    const hooked: string[] = [];
    const { client, server } = await serve({ handler: () => toolReply, keepRequests: true, onRequest: (req) => hooked.push(req.model) });
    await client.messages.create({ ...ask, system: 'be brief', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
    expect(hooked).toEqual(['claude-haiku-5-5']);
    const kept = server.stats.requests[0]?.request;
    expect(kept?.system).toEqual([{ type: 'text', text: 'be brief' }]);
    expect(kept?.messages[0]?.content).toEqual([{ type: 'text', text: 'hi' }]);
    expect(server.stats.requests[0]?.usage).toMatchObject({ cacheRead: 0, cacheWrite: 0 });
  });

  it('paces stream events when chunkDelayMs is set, so a client can abort mid-stream', async () => {
    const { client, server } = await serve({ handler: () => toolReply, chunkDelayMs: 20 });
    const stream = client.messages.stream(ask);
    let deltas = 0;
    stream.on('text', () => {
      deltas++;
      if (deltas === 2) stream.abort();
    });
    await expect(stream.finalMessage()).rejects.toBeInstanceOf(APIUserAbortError);
    await until(() => server.stats.inFlight === 0);
    expect(deltas).toBe(2);
  });

  it('closes quickly while a request hangs', async () => {
    const server = await startMessagesServer({ handler: () => ({ kind: 'hang' }) });
    const client = new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
    const pending = client.messages.create(ask).catch((e: unknown) => e);
    await until(() => server.stats.inFlight === 1);
    const t0 = Date.now();
    await server.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });
});
