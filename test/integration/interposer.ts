/**
 * A server in front of the fake Messages API, for responses the simulator does not stream (50 MB
 * of text, one endless line): a test takes over the requests it chooses and writes their response
 * itself; every other request passes through to the simulator unchanged.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseMessagesBody } from '../../src/simulator/parse';
import { sseEvent } from '../../src/simulator/sse';
import type { ParsedRequest } from '../../src/simulator/types';
import { agentOf } from './harness';

/** Returns true when it answers the request itself. */
export type TakeOver = (req: ParsedRequest, agent: string, res: ServerResponse) => boolean;

export interface Interposer {
  url: string;
  close(): Promise<void>;
}

export async function startInterposer(target: string, takeOver: TakeOver): Promise<Interposer> {
  const server = createServer((req, res) => {
    void readAll(req).then((raw) => {
      const parsed = parseMessagesBody(raw.toString('utf8'), /[?&]beta=true/.test(req.url ?? ''));
      if (parsed.ok && takeOver(parsed.request, agentOf(parsed.request), res)) return;
      const upstream = request(`${target}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      res.on('close', () => upstream.destroy());
      upstream.on('error', () => res.destroy());
      upstream.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** What the server managed to hand to the socket before the client hung up (or the stream ended). */
export interface Sent {
  bytes: number;
  /** True when the client closed the connection before the whole response was written. */
  cutByClient: boolean;
}

/**
 * A 200 stream that starts a text block and then streams `totalBytes` of text in deltas of
 * `deltaChars`, honouring back-pressure, and stops as soon as the client closes. Resolves with
 * the bytes written.
 */
export function streamText(res: ServerResponse, totalBytes: number, deltaChars = 16_384): Promise<Sent> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const head = sseEvent('message_start', {
    type: 'message_start',
    message: { id: 'msg_big', type: 'message', role: 'assistant', model: 'claude-haiku-5-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1 } },
  }) + sseEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  const delta = sseEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'x'.repeat(deltaChars) } });
  return writeUntilClosed(res, head, delta, totalBytes);
}

/** A 200 stream of one line that never ends: `totalBytes` of `data: xxxx…` without a newline. */
export function streamEndlessLine(res: ServerResponse, totalBytes: number): Promise<Sent> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  return writeUntilClosed(res, 'data: ', 'x'.repeat(16_384), totalBytes);
}

async function writeUntilClosed(res: ServerResponse, head: string, piece: string, totalBytes: number): Promise<Sent> {
  let bytes = 0;
  let closed = false;
  res.on('close', () => { closed = true; });
  const write = async (s: string): Promise<void> => {
    bytes += Buffer.byteLength(s);
    if (res.write(s) || closed) return;
    await new Promise<void>((resolve) => {
      const done = (): void => { res.off('drain', done); res.off('close', done); resolve(); };
      res.on('drain', done);
      res.on('close', done);
    });
  };
  await write(head);
  while (!closed && bytes < totalBytes) await write(piece);
  const cutByClient = closed;
  if (!closed) res.end();
  return { bytes, cutByClient };
}
