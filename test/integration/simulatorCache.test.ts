import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming, Usage } from '@anthropic-ai/sdk/resources/messages';
import { afterEach, describe, expect, it } from 'vitest';
import { startMessagesServer, type MessagesServer } from '../../src/simulator/server';

const servers: MessagesServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

let clock = 0;
async function serve(opts: { cacheTtlMs?: number; cacheMinTokens?: number } = {}): Promise<{ server: MessagesServer; client: Anthropic }> {
  clock = 1_000_000;
  const server = await startMessagesServer({ handler: () => ({ kind: 'message', content: [{ type: 'text', text: 'ok' }] }), now: () => clock, ...opts });
  servers.push(server);
  return { server, client: new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0 }) };
}

const cc = { type: 'ephemeral' as const };
const systemText = `# Role: worker\n\n${'You are one worker in a fleet of agents. '.repeat(150)}`; // ~1.5k tokens
const tools = ['list_files', 'read_file', 'search', 'write_output'].map((name, i, all) => ({
  name,
  description: `The ${name} tool.`,
  input_schema: { type: 'object' as const, properties: { path: { type: 'string' } } },
  ...(i === all.length - 1 ? { cache_control: cc } : {}),
}));

function params(userText: string, extra: Partial<MessageCreateParamsNonStreaming> = {}): MessageCreateParamsNonStreaming {
  return {
    model: 'claude-sonnet-5-5',
    max_tokens: 1024,
    tools,
    system: [{ type: 'text', text: systemText, cache_control: cc }],
    messages: [{ role: 'user', content: [{ type: 'text', text: userText }] }],
    ...extra,
  };
}

const promptTotal = (u: Usage) => u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);

describe('prompt cache emulation over HTTP', () => {
  it('writes the tools+system prefix on the first request and reads it on the second', async () => {
    const { client } = await serve();
    const a = (await client.messages.create(params('Assignment a1: inventory src/'))).usage;
    expect(a.cache_read_input_tokens).toBe(0);
    expect(a.cache_creation_input_tokens).toBeGreaterThan(1024);
    expect(a.cache_creation?.ephemeral_5m_input_tokens).toBe(a.cache_creation_input_tokens);
    const b = (await client.messages.create(params('Assignment a1: inventory src/'))).usage;
    expect(b.cache_read_input_tokens).toBe(a.cache_creation_input_tokens);
    expect(b.cache_creation_input_tokens).toBe(0);
    expect(b.input_tokens).toBe(a.input_tokens);
    expect(promptTotal(b)).toBe(promptTotal(a));
  });

  it('still reads the shared prefix when only the suffix differs', async () => {
    const { client } = await serve();
    const a = (await client.messages.create(params('Assignment a1'))).usage;
    const b = (await client.messages.create(params('Assignment b7 with a much longer text than the first one had'))).usage;
    expect(b.cache_read_input_tokens).toBe(a.cache_creation_input_tokens);
    expect(b.input_tokens).toBeGreaterThan(a.input_tokens);
  });

  it('reads an earlier turn of a growing conversation and writes only the new part', async () => {
    const { client } = await serve();
    const turn1 = params('read your scope');
    turn1.messages = [{ role: 'user', content: [{ type: 'text', text: 'read your scope', cache_control: cc }] }];
    const u1 = (await client.messages.create(turn1)).usage;
    const turn2 = params('');
    turn2.messages = [
      { role: 'user', content: [{ type: 'text', text: 'read your scope' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'a.ts' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'x'.repeat(4000), cache_control: cc }] },
    ];
    const u2 = (await client.messages.create(turn2)).usage;
    expect(u2.cache_read_input_tokens).toBe(promptTotal(u1));
    expect(u2.cache_creation_input_tokens).toBe(promptTotal(u2) - promptTotal(u1));
    expect(u2.input_tokens).toBe(0);
  });

  it('expires after the ttl, and a hit refreshes the ttl', async () => {
    const { client } = await serve({ cacheTtlMs: 1000 });
    await client.messages.create(params('q'));
    clock += 900;
    expect((await client.messages.create(params('q'))).usage.cache_read_input_tokens).toBeGreaterThan(0);
    clock += 900;
    expect((await client.messages.create(params('q'))).usage.cache_read_input_tokens).toBeGreaterThan(0);
    clock += 1001;
    const expired = (await client.messages.create(params('q'))).usage;
    expect(expired.cache_read_input_tokens).toBe(0);
    expect(expired.cache_creation_input_tokens).toBeGreaterThan(0);
  });

  it('does not cache a prefix below the minimum', async () => {
    const { client } = await serve();
    const small = params('q', { system: [{ type: 'text', text: '# Role: worker\nbe brief', cache_control: cc }], tools: [] });
    await client.messages.create(small);
    const u = (await client.messages.create(small)).usage;
    expect(u.cache_read_input_tokens).toBe(0);
    expect(u.cache_creation_input_tokens).toBe(0);
    expect(u.input_tokens).toBe(promptTotal(u));
  });

  it('reports the same split in a stream as in JSON', async () => {
    const { client, server } = await serve();
    await client.messages.create(params('q'));
    const streamed = (await client.messages.stream(params('q')).finalMessage()).usage;
    const json = (await client.messages.create(params('q'))).usage;
    expect(streamed).toMatchObject({
      input_tokens: json.input_tokens,
      cache_read_input_tokens: json.cache_read_input_tokens,
      cache_creation_input_tokens: json.cache_creation_input_tokens,
    });
    expect(server.stats.requests.map((r) => r.usage?.cacheRead)).toEqual([0, json.cache_read_input_tokens, json.cache_read_input_tokens]);
  });

  it('forgets everything on clearCache()', async () => {
    const { client, server } = await serve();
    await client.messages.create(params('q'));
    server.clearCache();
    expect((await client.messages.create(params('q'))).usage.cache_read_input_tokens).toBe(0);
  });
});
