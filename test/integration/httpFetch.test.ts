import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { nodeFetch } from '../../src/engine/model/httpFetch';
import { ModelError } from '../../src/engine/model/client';

let server: Server | undefined;
afterEach(async () => { server?.closeAllConnections(); await new Promise((r) => server?.close(r) ?? r(undefined)); server = undefined; });

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the SDK transport on node:http', () => {
  it('posts a JSON body and returns status, headers and a streamed body', async () => {
    const url = await listen((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { res.writeHead(201, { 'x-echo': req.headers['content-type'] ?? '' }); res.write('got:'); res.end(body); });
    });
    const res = await nodeFetch(`${url}/v1/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-echo')).toBe('application/json');
    expect(await res.text()).toBe('got:{"a":1}');
  });

  it('fails like fetch when nothing listens: TypeError "fetch failed"', async () => {
    const url = await listen(() => undefined);
    server!.close();
    await new Promise((r) => setTimeout(r, 20));
    await expect(nodeFetch(`${url}/v1/x`, { method: 'POST', body: '{}' })).rejects.toThrow(/fetch failed/);
  });

  it('rejects with the abort reason when aborted mid-body, and frees the socket', async () => {
    const url = await listen((_req, res) => { res.writeHead(200); res.write('partial'); });
    const ctl = new AbortController();
    const res = await nodeFetch(`${url}/v1/x`, { method: 'POST', body: '{}', signal: ctl.signal });
    const reader = res.body!.getReader();
    await reader.read();
    setTimeout(() => ctl.abort(), 10);
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('through the model client: a connection reset mid-stream is a transient error', async () => {
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"usage":{"input_tokens":1,"output_tokens":0}}}\n\n');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    const client = new AnthropicModelClient({ apiKey: 'k', baseUrl: url });
    const err = await client.create({
      model: 'm', system: [{ type: 'text', text: 's' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      maxTokens: 10, signal: new AbortController().signal, timeoutMs: 5_000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).kind).toBe('transient');
  });
});
