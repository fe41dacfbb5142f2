import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { batchEndpoints, type BatchEmulation, type BatchEndpoints } from './batches';
import { PromptCache, type CachePlan } from './cache';
import { parseMessagesBody } from './parse';
import { RateLimiter, retryAfterHeaders, type RateLimitOptions } from './rateLimit';
import {
  defaultStopReason, errorBody, outputTokensOf, streamBlock, streamError, streamHead, streamTail, toWireBlocks, wireUsage,
} from './sse';
import { StatsTracker, type Ticket } from './stats';
import type { Handler, ParsedRequest, Reply, ReplyBlock, RequestRecord, ServerStats, WireMessage } from './types';

export interface MessagesServerOptions {
  /** The simulated model: what to answer to each parsed request. */
  handler: Handler;
  /** Delay before answering; cut short when the client disconnects. */
  latencyMs?: (req: ParsedRequest) => number;
  /** Delay between SSE events of a streamed reply (default 0), so a client can abort mid-stream. */
  chunkDelayMs?: number;
  rateLimit?: RateLimitOptions;
  /** Prompt-cache entry lifetime, refreshed on every hit (default 300000, the real 5 minutes). */
  cacheTtlMs?: number;
  /** Shortest prefix that is cached (default 1024 tokens). */
  cacheMinTokens?: number;
  /** Block boundaries checked before each breakpoint for an earlier cached prefix (default 20). */
  cacheLookbackBlocks?: number;
  /** The model id reported in responses (default: the one requested). */
  reportModel?: (requested: string) => string;
  /** Keep each parsed request on its stats record (memory grows with the run). */
  keepRequests?: boolean;
  onRequest?: (req: ParsedRequest, record: RequestRecord) => void;
  /** Timing and faults of the Message Batches endpoints (always served; these only shape them). */
  batches?: BatchEmulation;
  /** Clock for the cache and rate limiter (default Date.now), injectable for tests. */
  now?: () => number;
  port?: number;
}

export interface MessagesServer {
  /** Base URL for the SDK (`baseURL`), without `/v1`. */
  url: string;
  stats: ServerStats;
  /** The emulated Message Batches endpoints, for tests to inspect and to cancel from outside. */
  batches: BatchEndpoints;
  resetStats(): void;
  clearCache(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * A real HTTP server on 127.0.0.1 speaking the Messages API (JSON and SSE) with prompt-cache
 * emulation, rate limits and injectable faults. `handler` decides what the model says.
 */
export async function startMessagesServer(opts: MessagesServerOptions): Promise<MessagesServer> {
  const now = opts.now ?? Date.now;
  const tracker = new StatsTracker();
  const cache = new PromptCache({
    ttlMs: opts.cacheTtlMs ?? 300_000,
    minTokens: opts.cacheMinTokens ?? 1024,
    lookbackBlocks: opts.cacheLookbackBlocks ?? 20,
  });
  const limiter = opts.rateLimit ? new RateLimiter(opts.rateLimit, now()) : null;
  const active = new Set<AbortController>();
  const batches = batchEndpoints(opts.handler, cache, now, opts.batches);
  let seq = 0;

  const server = createServer((req, res) => {
    const id = (++seq).toString(36).padStart(6, '0');
    const ticket = tracker.arrive(`req_sim_${id}`, now());
    const ac = new AbortController();
    active.add(ac);
    res.on('close', () => {
      if (!res.writableFinished) {
        ac.abort();
        ticket.record.outcome = 'aborted';
      }
      active.delete(ac);
      tracker.leave(ticket);
    });
    serve({ req, res, id, ticket, signal: ac.signal }).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, ticket, 500, 'api_error', `Simulator failure: ${String(err)}`, 'error');
      else res.destroy();
    });
  });

  interface Exchange { req: IncomingMessage; res: ServerResponse; id: string; ticket: Ticket; signal: AbortSignal }

  async function serve({ req, res, id, ticket, signal }: Exchange): Promise<void> {
    const requestId = ticket.record.id;
    res.setHeader('request-id', requestId);
    if (limiter) setHeaders(res, limiter.headers(now()));
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/v1/messages/batches')) {
      ticket.record.outcome = 'batch';
      if (await batches.serve(req, res, () => readBody(req))) return;
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/messages') {
      return sendError(res, ticket, 404, 'not_found_error', `${req.method} ${url.pathname} is not served by the simulator`, 'invalid');
    }
    const raw = await readBody(req);
    if (raw === null) return sendError(res, ticket, 413, 'request_too_large', `Request exceeds ${MAX_BODY_BYTES} bytes`, 'invalid');
    const parsed = parseMessagesBody(raw, url.searchParams.get('beta') === 'true' || req.headers['anthropic-beta'] !== undefined);
    if (!parsed.ok) return sendError(res, ticket, 400, 'invalid_request_error', parsed.message, 'invalid');
    const request = parsed.request;
    tracker.assignModel(ticket, request.model);
    ticket.record.stream = request.stream;
    if (opts.keepRequests) ticket.record.request = request;
    opts.onRequest?.(request, ticket.record);

    const plan = cache.plan(request, now());
    ticket.record.usage = plan.usage;
    if (limiter) {
      const decision = limiter.check(plan.usage.input + plan.usage.cacheWrite, now());
      setHeaders(res, decision.headers);
      if (!decision.ok) {
        setHeaders(res, retryAfterHeaders(decision.retryAfterMs));
        return sendError(res, ticket, 429, 'rate_limit_error', decision.message, 'rate-limited');
      }
    }

    const delay = opts.latencyMs?.(request) ?? 0;
    if (delay > 0 && !(await sleep(delay, signal))) return;
    let reply: Reply;
    try {
      reply = await opts.handler(request, { signal, requestId, index: ticket.index });
    } catch (err) {
      return sendError(res, ticket, 500, 'api_error', `Simulated model failed: ${err instanceof Error ? err.message : String(err)}`, 'error');
    }
    if (signal.aborted) return;
    await answer({ res, id, ticket, signal, request, plan, reply });
  }

  interface Answer { res: ServerResponse; id: string; ticket: Ticket; signal: AbortSignal; request: ParsedRequest; plan: CachePlan; reply: Reply }

  async function answer({ res, id, ticket, signal, request, plan, reply }: Answer): Promise<void> {
    let tool = 0;
    const toolId = () => `toolu_sim_${id}_${++tool}`;
    const buildMessage = (content: ReplyBlock[], explicit?: string): WireMessage => {
      const blocks = toWireBlocks(content, toolId);
      return {
        id: `msg_sim_${id}`, type: 'message', role: 'assistant',
        model: explicit ?? opts.reportModel?.(request.model) ?? request.model,
        content: blocks, stop_reason: defaultStopReason(blocks), stop_sequence: null, stop_details: null,
        container: null, diagnostics: null, usage: wireUsage(plan.usage, outputTokensOf(blocks)),
      };
    };
    switch (reply.kind) {
      case 'error':
        setHeaders(res, reply.headers ?? {});
        return sendError(res, ticket, reply.status, reply.type, reply.message, 'error');
      case 'hang':
        ticket.record.outcome = 'hang';
        await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
        return;
      case 'stall': {
        ticket.record.status = 200;
        if (request.stream) {
          res.writeHead(200, sseHeaders());
          for (const e of streamHead(buildMessage([])).slice(0, reply.afterEvents ?? 2)) res.write(e);
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
        }
        res.flushHeaders();
        // After the flush: the 'close' handler marks a dropped exchange 'aborted', and a stall is
        // always dropped by someone.
        await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
        ticket.record.outcome = 'stall';
        return;
      }
      case 'malformed':
        ticket.record.outcome = 'malformed';
        ticket.record.status = 200;
        if (request.stream) {
          res.writeHead(200, sseHeaders());
          res.end('event: message_start\ndata: {"type":"message_start","message":{"id":\n\n');
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"id":"msg_sim_broken","type":"message","content":[{"type":"te');
        }
        return;
      case 'midstream-error': {
        const type = reply.type ?? 'overloaded_error';
        const message = type === 'overloaded_error' ? 'Overloaded' : 'Internal server error';
        ticket.record.outcome = 'midstream-error';
        if (!request.stream) return sendError(res, ticket, type === 'overloaded_error' ? 529 : 500, type, message, 'midstream-error');
        cache.commit(plan, now());
        const msg = buildMessage(reply.content ?? [{ type: 'text', text: 'Working on it' }]);
        const events = [...streamHead(msg)];
        msg.content.slice(0, reply.afterBlocks ?? 0).forEach((b, i) => events.push(...streamBlock(b, i)));
        events.push(streamError(type, message, ticket.record.id));
        ticket.record.status = 200;
        return writeStream(res, events, signal);
      }
      case 'message': {
        cache.commit(plan, now());
        const msg = buildMessage(reply.content, reply.model);
        if (reply.stopReason) msg.stop_reason = reply.stopReason;
        if (reply.outputTokens !== undefined) msg.usage.output_tokens = reply.outputTokens;
        ticket.record.outcome = 'message';
        ticket.record.status = 200;
        if (!request.stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(msg));
          return;
        }
        const events = [...streamHead(msg), ...msg.content.flatMap((b, i) => streamBlock(b, i)), ...streamTail(msg)];
        return writeStream(res, events, signal);
      }
    }
  }

  function sendError(res: ServerResponse, ticket: Ticket, status: number, type: string, message: string, outcome: RequestRecord['outcome']): void {
    if (status === 429) tracker.rateLimited();
    ticket.record.outcome = outcome;
    ticket.record.status = status;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(errorBody(type, message, ticket.record.id)));
  }

  async function writeStream(res: ServerResponse, events: string[], signal: AbortSignal): Promise<void> {
    res.writeHead(200, sseHeaders());
    const gap = opts.chunkDelayMs ?? 0;
    if (gap <= 0) {
      res.end(events.join(''));
      return;
    }
    for (const e of events) {
      if (!(await sleep(gap, signal))) return;
      res.write(e);
    }
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    stats: tracker.stats,
    batches,
    resetStats: () => tracker.reset(),
    clearCache: () => cache.clear(),
    close: () => new Promise<void>((resolve) => {
      for (const ac of active) ac.abort();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function sseHeaders(): Record<string, string> {
  return { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' };
}

function setHeaders(res: ServerResponse, headers: Record<string, string>): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
