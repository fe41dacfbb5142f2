import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { ModelError, type ModelRequest } from '../../src/engine/model/client';

let server: Server | undefined;
afterEach(async () => { server?.closeAllConnections(); await new Promise((r) => (server ? server.close(r) : r(undefined))); server = undefined; });

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const request = (): ModelRequest => ({
  model: 'm', system: [{ type: 'text', text: 's' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
  maxTokens: 10, signal: new AbortController().signal, timeoutMs: 5_000,
});

describe('the model client on the platform fetch', () => {
  it('reports a connection reset mid-stream as a transient error', async () => {
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"usage":{"input_tokens":1,"output_tokens":0}}}\n\n');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    const err = await new AnthropicModelClient({ apiKey: 'k', baseUrl: url }).create(request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).kind).toBe('transient');
  });

  it('names the address that refused the connection', async () => {
    const url = await listen(() => undefined);
    server!.close();
    server = undefined;
    const err = await new AnthropicModelClient({ apiKey: 'k', baseUrl: url }).create(request()).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'transient', message: `connection failed: fetch failed: connect ECONNREFUSED ${new URL(url).host}` });
  });

  it('does not follow a redirect, and says to set the address it points to instead of retrying', async () => {
    let requests = 0;
    const url = await listen((_req, res) => { requests++; res.writeHead(307, { location: '/elsewhere/v1/messages' }); res.end(); });
    const err = await new AnthropicModelClient({ apiKey: 'k', baseUrl: url }).create(request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(err).toMatchObject({ kind: 'terminal' });
    expect((err as ModelError).message).toMatch(/redirect.*orchestration\.baseUrl/);
    expect(requests).toBe(1);
  });

  it('sends through the fetch its creator passes', async () => {
    const url = await listen((_req, res) => { res.writeHead(500, { 'content-type': 'application/json' }); res.end('{"type":"error","error":{"type":"api_error","message":"boom"}}'); });
    const seen: string[] = [];
    const client = new AnthropicModelClient({ apiKey: 'k', baseUrl: url, fetch: (input, init) => { seen.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url); return fetch(input, init); } });
    await expect(client.create(request())).rejects.toMatchObject({ kind: 'transient', status: 500 });
    expect(seen).toEqual([`${url}/v1/messages`]);
  });

  it('hands the transport the JSON body as its UTF-8 bytes, which the server reads as the same JSON', async () => {
    let received: { type: string | undefined; length: string | undefined; body: string } | undefined;
    const url = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received = { type: req.headers['content-type'], length: req.headers['content-length'], body: Buffer.concat(chunks).toString('utf8') };
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"type":"error","error":{"type":"api_error","message":"boom"}}');
      });
    });
    const bodies: unknown[] = [];
    const client = new AnthropicModelClient({ apiKey: 'k', baseUrl: url, fetch: (input, init) => { bodies.push(init?.body); return fetch(input, init); } });
    const req = request();
    req.messages = [{ role: 'user', content: [{ type: 'text', text: 'café — naïve ✓ 𝄞' }] }];
    await expect(client.create(req)).rejects.toMatchObject({ status: 500 });
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toBeInstanceOf(Uint8Array);
    const sent = Buffer.from(bodies[0] as Uint8Array).toString('utf8');
    expect(received).toEqual({ type: 'application/json', length: String(Buffer.byteLength(sent)), body: sent });
    expect(JSON.parse(sent)).toMatchObject({ model: 'm', stream: true, messages: [{ role: 'user', content: [{ type: 'text', text: 'café — naïve ✓ 𝄞' }] }] });
  });

  /** A server that reads the request and never answers; resolves, per request, when its client hangs up. */
  async function silentServer(): Promise<{ url: string; closed: Array<Promise<void>> }> {
    const closed: Array<Promise<void>> = [];
    const url = await listen((req) => { closed.push(new Promise((r) => req.socket.once('close', () => r()))); req.resume(); });
    return { url, closed };
  }

  it('gives up on a request without headers after its timeout, and hangs up', async () => {
    const { url, closed } = await silentServer();
    const req = { ...request(), timeoutMs: 300 };
    const t0 = Date.now();
    const err = await new AnthropicModelClient({ apiKey: 'k', baseUrl: url }).create(req).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'transient', message: 'no response headers within requestTimeoutMs' });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(closed).toHaveLength(1);
    await closed[0];
  });

  it('stops a request still waiting for headers when the caller aborts, and hangs up', async () => {
    const { url, closed } = await silentServer();
    const ctl = new AbortController();
    const req = { ...request(), signal: ctl.signal, timeoutMs: 60_000 };
    const pending = new AnthropicModelClient({ apiKey: 'k', baseUrl: url }).create(req).catch((e: unknown) => e);
    while (closed.length === 0) await new Promise((r) => setTimeout(r, 10));
    ctl.abort();
    expect(await pending).toMatchObject({ kind: 'aborted' });
    await closed[0];
  });

  const OK_STREAM = [
    'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"usage":{"input_tokens":1,"output_tokens":0}}}\n\n',
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ok"}}\n\n',
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}\n\n',
    'event: message_stop\ndata: {"type":"message_stop"}\n\n',
  ].join('');

  it('leaves no listener behind on any signal after a long agent\'s turns, and a caller\'s abort still reaches a request', async () => {
    let stallNext = false;
    const url = await listen((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (stallNext) { stallNext = false; res.write(OK_STREAM.split('\n\n')[0] + '\n\n'); return; }
      res.end(OK_STREAM);
    });
    const signals: AbortSignal[] = [];
    const client = new AnthropicModelClient({ apiKey: 'k', baseUrl: url, fetch: (input, init) => { signals.push(init!.signal!); return fetch(input, init); } });
    const caller = new AbortController();
    const req = (): ModelRequest => ({ ...request(), signal: caller.signal, idleTimeoutMs: 200 });
    // An agent of many turns: every turn is one request on the agent's signal.
    for (let i = 0; i < 40; i++) expect((await client.create(req())).content).toEqual([{ type: 'text', text: 'ok' }]);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    // What fetch hangs on a request's signal stays with that request: no signal gathers a listener a turn.
    expect(Math.max(...signals.map((s) => getEventListeners(s, 'abort').length))).toBeLessThanOrEqual(2);
    stallNext = true;
    await expect(client.create(req())).rejects.toMatchObject({ kind: 'transient' });
    expect(signals.at(-1)!.aborted).toBe(true);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    const pending = client.create(req());
    caller.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
  });
});
