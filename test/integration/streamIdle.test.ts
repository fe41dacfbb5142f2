import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { ModelError, type ModelRequest } from '../../src/engine/model/client';
import { startMessagesServer, type MessagesServer } from '../../src/simulator/server';
import type { Reply } from '../../src/simulator/types';
import { makeWorkspace, orchestrator, planReply, startFake, type Fake } from './harness';

let fake: Fake | undefined;
let server: MessagesServer | undefined;
let raw: Server | undefined;
afterEach(async () => {
  await fake?.close(); fake = undefined;
  await server?.close(); server = undefined;
  raw?.closeAllConnections();
  await new Promise((r) => (raw ? raw.close(r) : r(undefined)));
  raw = undefined;
});

function request(over: Partial<ModelRequest> = {}): ModelRequest {
  return {
    model: 'claude-haiku-5-5', maxTokens: 1024, signal: new AbortController().signal, timeoutMs: 10_000,
    system: [{ type: 'text', text: 'You are a test.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    ...over,
  };
}

async function serve(reply: () => Reply, chunkDelayMs = 0): Promise<string> {
  server = await startMessagesServer({ handler: reply, chunkDelayMs });
  return server.url;
}

describe('a stream that goes silent after its headers', () => {
  it('is aborted by the idle timeout and retried, and the run ends long before the agent timeout', async () => {
    const ws = makeWorkspace();
    let stalls = 0;
    fake = await startFake(ws, (_req, _ctx, agent) => {
      if (agent === 'planner') return planReply(3, 3);
      if (agent === 'a1' && stalls === 0) { stalls++; return { kind: 'stall' }; }
      return undefined;
    });
    const started = Date.now();
    const run = await orchestrator(fake, { streamIdleTimeoutMs: 500, agentTimeoutMs: 60_000 }).plan({ task: 'Audit the shop' });
    const outcome = await run.execute();
    await run.ledger.close();
    const elapsed = Date.now() - started;

    expect(outcome.status).toBe('completed');
    expect(fake.server.stats.requests.filter((r) => r.outcome === 'stall')).toHaveLength(1);
    // Retried as a request, inside the same agent attempt.
    expect(run.ledger.get('a1')).toMatchObject({ status: 'completed', attempts: 1 });
    const events = readFileSync(path.join(run.dir, 'events.jsonl'), 'utf8');
    expect(events).toMatch(/retry 1 in \d+ ms after stream stalled: no event for 500 ms after 2 events \(streamIdleTimeoutMs\); aborted as a transient error/);
    // Only reachable if the stall was cut by the idle timeout: the agent's own limit is 60 s.
    expect(elapsed).toBeLessThan(15_000);
  }, 30_000);

  it('is a transient ModelError when not even message_start came', async () => {
    const url = await serve(() => ({ kind: 'stall', afterEvents: 0 }));
    const client = new AnthropicModelClient({ apiKey: 'k', baseUrl: url });
    const err = await client.create(request({ idleTimeoutMs: 300 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(err).toMatchObject({ kind: 'transient' });
    expect((err as ModelError).message).toMatch(/no event for 300 ms after the response headers/);
    // The server hears of the abort a moment after the client gave up.
    await vi.waitFor(() => expect(server!.stats.requests[0].outcome).toBe('stall'));
  });

  it('still ends at once on a user cancel, without waiting for the idle timeout', async () => {
    const url = await serve(() => ({ kind: 'stall' }));
    const client = new AnthropicModelClient({ apiKey: 'k', baseUrl: url });
    const ctl = new AbortController();
    const started = Date.now();
    setTimeout(() => ctl.abort(), 100);
    const err = await client.create(request({ signal: ctl.signal, idleTimeoutMs: 60_000 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'aborted' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('a slow but steady stream', () => {
  it('is not aborted: every event resets the idle timer', async () => {
    // 16 events, 150 ms apart: 2.4 s in all, each gap well inside the 600 ms idle timeout.
    const text = 'x'.repeat(64 * 10);
    const url = await serve(() => ({ kind: 'message', content: [{ type: 'text', text }] }), 150);
    const client = new AnthropicModelClient({ apiKey: 'k', baseUrl: url });
    const started = Date.now();
    const res = await client.create(request({ idleTimeoutMs: 600 }));
    expect(res.content).toEqual([{ type: 'text', text }]);
    expect(Date.now() - started).toBeGreaterThan(1_800);
  });

  it('is not aborted while only pings come, as from a model that is thinking', async () => {
    const sse = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    raw = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sse('message_start', { type: 'message_start', message: { id: 'm', type: 'message', role: 'assistant', model: 'claude-haiku-5-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } } }));
      let pings = 0;
      const timer = setInterval(() => {
        if (++pings <= 8) { res.write(sse('ping', { type: 'ping' })); return; }
        clearInterval(timer);
        res.end([
          sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
          sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'thought it through' } }),
          sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
          sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 4 } }),
          sse('message_stop', { type: 'message_stop' }),
        ].join(''));
      }, 150);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((r) => raw!.listen(0, '127.0.0.1', r));
    const client = new AnthropicModelClient({ apiKey: 'k', baseUrl: `http://127.0.0.1:${(raw.address() as AddressInfo).port}` });
    // 1.35 s of nothing but pings, 150 ms apart, against a 500 ms idle timeout.
    const res = await client.create(request({ idleTimeoutMs: 500 }));
    expect(res.content).toEqual([{ type: 'text', text: 'thought it through' }]);
  });
});
