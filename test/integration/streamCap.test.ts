/**
 * Issue 16, item 8: streamed text per response is bounded by a multiple of its max_tokens. Past
 * the cap the request is aborted (the server sees the connection close long before its 50 MB are
 * out), reported as a non-transient error naming the cap, and never retried as a request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { ModelError, type ModelRequest } from '../../src/engine/model/client';
import { STREAM_BYTES_PER_TOKEN, TEXT_CHARS_PER_TOKEN } from '../../src/engine/model/responseBody';
import { startMessagesServer, type MessagesServer } from '../../src/simulator/server';
import { makeWorkspace, orchestrator, planReply, startFake, type Fake } from './harness';
import { startInterposer, streamEndlessLine, streamText, type Interposer, type Sent } from './interposer';

const MB = 1024 * 1024;
/**
 * What may be out of the server before it hears of the close: the response up to the cap (256 kB
 * at max_tokens 8,192) plus what the socket buffers of both ends hold, which loopback autotuning
 * grows to a few MB (4 MB measured). A third of the 50 MB: without the cap all of it goes out.
 */
const SENT_BOUND = 16 * MB;

let fake: Fake | undefined;
let front: Interposer | undefined;
let server: MessagesServer | undefined;
afterEach(async () => {
  await front?.close(); front = undefined;
  await fake?.close(); fake = undefined;
  await server?.close(); server = undefined;
});

function request(over: Partial<ModelRequest> = {}): ModelRequest {
  return {
    model: 'claude-haiku-5-5', maxTokens: 8_192, signal: new AbortController().signal, timeoutMs: 10_000,
    system: [{ type: 'text', text: 'You are a test.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    ...over,
  };
}

describe('a 50 MB response', () => {
  it('is cut past the text cap: the agent fails with the cap named, and nothing is retried as a request', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws, (_req, _ctx, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
    const sent: Array<Promise<Sent>> = [];
    front = await startInterposer(fake.server.url, (_req, agent, res) => {
      if (agent !== 'a1') return false;
      sent.push(streamText(res, 50 * MB));
      return true;
    });
    const run = await orchestrator({ ...fake, server: { ...fake.server, url: front.url } }).plan({ task: 'Audit the shop' });
    const outcome = await run.execute();
    await run.ledger.close();

    const a1 = run.ledger.get('a1')!;
    expect(a1.status).toBe('failed');
    expect(a1.error).toMatch(/^response too long: more than 262,144 characters of text and tool input streamed for max_tokens 8192 \(the cap is 32 characters a token\)/);
    expect(outcome.status).toBe('partial');
    expect(outcome.gaps.map((g) => g.agentId)).toEqual(['a1']);
    // One request per agent attempt (the agent's own retry, with the error in its prompt), no request retries.
    expect(sent).toHaveLength(a1.attempts);
    for (const s of await Promise.all(sent)) {
      expect(s.cutByClient).toBe(true);
      expect(s.bytes).toBeLessThan(SENT_BOUND);
    }
  }, 60_000);
});

describe('the response caps', () => {
  it('a line that never ends is cut at the byte cap with a non-transient error', async () => {
    let sent: Promise<Sent> | undefined;
    front = await startInterposer('http://127.0.0.1:9', (_req, _agent, res) => {
      sent = streamEndlessLine(res, 50 * MB);
      return true;
    });
    const client = new AnthropicModelClient({ apiKey: 'k', baseUrl: front.url });
    const err = await client.create(request({ maxTokens: 1_024 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(err).toMatchObject({ kind: 'invalid' });
    expect((err as ModelError).message).toBe(
      `response too long: more than ${(1_024 * STREAM_BYTES_PER_TOKEN).toLocaleString('en-US')} bytes streamed for max_tokens 1024 (the cap is 256 bytes a token, event framing included); the request was aborted and is not retried`,
    );
    const s = await sent!;
    expect(s.cutByClient).toBe(true);
    expect(s.bytes).toBeLessThan(SENT_BOUND);
  });

  it('a response just under the text cap arrives whole', async () => {
    const maxTokens = 256;
    const text = 'y'.repeat(maxTokens * TEXT_CHARS_PER_TOKEN - 100);
    server = await startMessagesServer({ handler: () => ({ kind: 'message', content: [{ type: 'text', text }] }) });
    const client = new AnthropicModelClient({ apiKey: 'k', baseUrl: server.url });
    const res = await client.create(request({ maxTokens }));
    expect(res.content).toEqual([{ type: 'text', text }]);
  });

  it('tool input counts toward the cap like text', async () => {
    const maxTokens = 256;
    server = await startMessagesServer({ handler: () => ({ kind: 'message', content: [{ type: 'tool_use', name: 'write_output', input: { content: 'z'.repeat(maxTokens * TEXT_CHARS_PER_TOKEN) } }] }) });
    const client = new AnthropicModelClient({ apiKey: 'k', baseUrl: server.url });
    const err = await client.create(request({ maxTokens })).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'invalid' });
    expect((err as ModelError).message).toMatch(/^response too long: more than 8,192 characters of text and tool input streamed for max_tokens 256/);
  });
});
