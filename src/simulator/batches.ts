/**
 * The Message Batches endpoints of the simulated API: create, retrieve, results (JSONL), cancel
 * and list. Each request of a batch is answered by the same handler as a realtime call and gets a
 * fixed completion time when the batch is created, so what a batch holds at any moment (and what
 * expiry or a cancel leaves unfinished) depends on the schedule, never on when a client polls.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import type { PromptCache } from './cache';
import { isRecord, parseMessagesBody } from './parse';
import { defaultStopReason, errorBody, outputTokensOf, toWireBlocks, wireUsage } from './sse';
import type { Handler, Reply, WireMessage } from './types';

/** Faults and timing of the emulated batches; every field is optional. */
export interface BatchEmulation {
  /** When a request finishes, in ms after its batch was created (default 0: at once). */
  processingMs?: (customId: string, index: number) => number;
  /** A batch expires this long after it was created (default 24 h): unfinished requests become `expired`. */
  expiresAfterMs?: number;
  /** Requests that end `errored` (an api_error) instead of being answered. */
  errored?: (customId: string) => boolean;
  /** This many creates are refused with 429 and a retry-after first. */
  rejectCreates?: number;
  /** Results files cut in the middle of their last line, for batches this returns true for. */
  truncateResults?: (batchId: string) => boolean;
  /** A results line with this custom id is added to every results file (it matches no request). */
  strayCustomId?: string;
  /**
   * A folder where each batch is kept as it is created, so a simulator started later (a reloaded
   * window, a new CLI process) answers for batches an earlier one created, as the real API does
   * across a client's restarts. Answers are worked out again from the kept requests: the
   * simulated brain answers a request the same way every time.
   */
  stateDir?: string;
}

/** A batch as kept in `stateDir`: enough to rebuild it, answers excluded. */
interface KeptBatch {
  id: string;
  createdAt: number;
  expiresAt: number;
  cancelAt: number | null;
  requests: Array<{ customId: string; doneAt: number; params: unknown }>;
}

const BATCH_ID = /^msgbatch_sim_[a-z0-9]{1,40}$/;

type Outcome = 'succeeded' | 'errored' | 'canceled' | 'expired';

interface SimRequest {
  customId: string;
  doneAt: number;
  /** Settled once the handler has answered; read only after `doneAt`. */
  result: Promise<Record<string, unknown>>;
}

interface SimBatch {
  id: string;
  createdAt: number;
  expiresAt: number;
  cancelAt: number | null;
  requests: SimRequest[];
}

export interface BatchEndpoints {
  /** Serves a request under /v1/messages/batches; false when the path is not one of them. */
  serve(req: IncomingMessage, res: ServerResponse, body: () => Promise<string | null>): Promise<boolean>;
  /** Cancels a batch as someone else would (the Console, another client). */
  cancel(batchId: string): boolean;
  /** Deletes a batch as someone else would: from then on the API answers 404 for it. */
  forget(batchId: string): boolean;
  /** Batches created so far, and how many requests each holds (for tests and the bench). */
  created(): Array<{ id: string; customIds: string[] }>;
  /** Creates refused with 429 so far. */
  rejectedCreates(): number;
}

export function batchEndpoints(handler: Handler, cache: PromptCache, now: () => number, emulation: BatchEmulation = {}): BatchEndpoints {
  const batches = new Map<string, SimBatch>();
  /** Deleted from outside (`forget`): answered 404, still listed by `created()` for tests. */
  const forgotten = new Set<string>();
  let seq = 0;
  let rejected = 0;

  const status = (b: SimBatch, t: number): 'in_progress' | 'canceling' | 'ended' => {
    const pending = b.requests.some((r) => outcomeAt(b, r, t) === null);
    if (!pending) return 'ended';
    return b.cancelAt !== null ? 'canceling' : 'in_progress';
  };

  /** A request's outcome at time t, or null while it is still processing. */
  const outcomeAt = (b: SimBatch, r: SimRequest, t: number): Outcome | null => {
    const cut = Math.min(b.expiresAt, b.cancelAt ?? Infinity);
    if (r.doneAt <= cut && r.doneAt <= t) return emulation.errored?.(r.customId) ? 'errored' : 'succeeded';
    if (t >= cut) return b.cancelAt !== null && b.cancelAt <= b.expiresAt ? 'canceled' : 'expired';
    return null;
  };

  const wire = (b: SimBatch, base: string) => {
    const t = now();
    const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    for (const r of b.requests) counts[outcomeAt(b, r, t) ?? 'processing']++;
    const s = status(b, t);
    const endedAt = s === 'ended' ? Math.max(...b.requests.map((r) => Math.min(r.doneAt, b.expiresAt, b.cancelAt ?? Infinity)), b.createdAt) : null;
    return {
      id: b.id, type: 'message_batch', processing_status: s, request_counts: counts,
      created_at: new Date(b.createdAt).toISOString(), expires_at: new Date(b.expiresAt).toISOString(),
      ended_at: endedAt === null ? null : new Date(endedAt).toISOString(),
      cancel_initiated_at: b.cancelAt === null ? null : new Date(b.cancelAt).toISOString(),
      archived_at: null,
      results_url: s === 'ended' ? `${base}/v1/messages/batches/${b.id}/results` : null,
    };
  };

  async function create(raw: string | null, res: ServerResponse, base: string): Promise<void> {
    if (emulation.rejectCreates !== undefined && rejected < emulation.rejectCreates) {
      rejected++;
      res.setHeader('retry-after', '0');
      return send(res, 429, errorBody('rate_limit_error', 'Batch create rate limit exceeded (simulated)', 'req_sim_batch'));
    }
    const body = raw === null ? null : safeParse(raw);
    const list = isRecord(body) && Array.isArray(body.requests) ? body.requests : null;
    if (!list || list.length === 0) return send(res, 400, errorBody('invalid_request_error', 'requests: expected a non-empty array', 'req_sim_batch'));
    const parsed = [];
    for (const [i, item] of list.entries()) {
      if (!isRecord(item) || typeof item.custom_id !== 'string' || !isRecord(item.params)) {
        return send(res, 400, errorBody('invalid_request_error', `requests.${i}: expected {custom_id, params}`, 'req_sim_batch'));
      }
      // As the real API: letters, digits, "_" and "-", 1 to 64 of them.
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(item.custom_id)) {
        return send(res, 400, errorBody('invalid_request_error', `requests.${i}.custom_id: expected 1-64 letters, digits, "_" or "-", got ${JSON.stringify(item.custom_id.slice(0, 80))}`, 'req_sim_batch'));
      }
      const p = parseMessagesBody(JSON.stringify(item.params), false);
      if (!p.ok) return send(res, 400, errorBody('invalid_request_error', `requests.${i}.params: ${p.message}`, 'req_sim_batch'));
      parsed.push({ customId: item.custom_id, request: p.request, params: item.params });
    }
    const ids = new Set(parsed.map((p) => p.customId));
    if (ids.size !== parsed.length) return send(res, 400, errorBody('invalid_request_error', 'custom_id values must be unique within a batch', 'req_sim_batch'));
    const t = now();
    // Kept batches outlive this process: their ids must not repeat another process's.
    const id = emulation.stateDir ? `msgbatch_sim_${t.toString(36)}${randomBytes(4).toString('hex')}` : `msgbatch_sim_${(++seq).toString(36).padStart(6, '0')}`;
    const batch: SimBatch = {
      id, createdAt: t, expiresAt: t + (emulation.expiresAfterMs ?? 86_400_000), cancelAt: null,
      requests: parsed.map(({ customId, request }, i) => ({
        customId,
        doneAt: t + (emulation.processingMs?.(customId, i) ?? 0),
        result: answer(customId, request, i),
      })),
    };
    batches.set(id, batch);
    await keep(batch, parsed.map((p) => p.params));
    send(res, 200, wire(batch, base));
  }

  /** Params of kept batches, by id, for rewriting a batch's file when it is cancelled. */
  const keptParams = new Map<string, unknown[]>();

  let pruned = false;
  async function keep(b: SimBatch, params: unknown[]): Promise<void> {
    if (!emulation.stateDir) return;
    if (!pruned) { pruned = true; await prune(emulation.stateDir, now()); }
    keptParams.set(b.id, params);
    const kept: KeptBatch = {
      id: b.id, createdAt: b.createdAt, expiresAt: b.expiresAt, cancelAt: b.cancelAt,
      requests: b.requests.map((r, i) => ({ customId: r.customId, doneAt: r.doneAt, params: params[i] })),
    };
    await fs.mkdir(emulation.stateDir, { recursive: true });
    await fs.writeFile(path.join(emulation.stateDir, `${b.id}.json`), JSON.stringify(kept));
  }

  /** A batch an earlier simulator kept, rebuilt; undefined when there is none (or it is unreadable). */
  async function revive(id: string): Promise<SimBatch | undefined> {
    if (!emulation.stateDir || !BATCH_ID.test(id)) return undefined;
    const text = await fs.readFile(path.join(emulation.stateDir, `${id}.json`), 'utf8').catch(() => null);
    if (text === null) return undefined;
    const kept = safeParse(text) as KeptBatch | null;
    if (!isRecord(kept) || !Array.isArray(kept.requests)) return undefined;
    const requests: SimRequest[] = [];
    for (const [i, r] of kept.requests.entries()) {
      const p = parseMessagesBody(JSON.stringify(r.params), false);
      if (!p.ok) return undefined;
      requests.push({ customId: r.customId, doneAt: r.doneAt, result: answer(r.customId, p.request, i) });
    }
    const b: SimBatch = { id, createdAt: kept.createdAt, expiresAt: kept.expiresAt, cancelAt: kept.cancelAt, requests };
    batches.set(id, b);
    keptParams.set(id, kept.requests.map((r) => r.params));
    return b;
  }

  async function answer(customId: string, request: Parameters<Handler>[0], index: number): Promise<Record<string, unknown>> {
    const plan = cache.plan(request, now());
    let reply: Reply;
    try {
      reply = await handler(request, { signal: new AbortController().signal, requestId: `req_sim_${customId}`, index });
    } catch (err) {
      reply = { kind: 'error', status: 500, type: 'api_error', message: String(err) };
    }
    if (reply.kind !== 'message') {
      return { type: 'errored', error: errorBody(reply.kind === 'error' ? reply.type : 'api_error', reply.kind === 'error' ? reply.message : 'Internal server error', `req_sim_${customId}`) };
    }
    cache.commit(plan, now());
    let tool = 0;
    const content = toWireBlocks(reply.content, () => `toolu_sim_${customId}_${++tool}`);
    const message: WireMessage = {
      id: `msg_sim_${customId}`, type: 'message', role: 'assistant', model: reply.model ?? request.model,
      content, stop_reason: reply.stopReason ?? defaultStopReason(content), stop_sequence: null, stop_details: null,
      container: null, diagnostics: null, usage: wireUsage(plan.usage, reply.outputTokens ?? outputTokensOf(content)),
    };
    return { type: 'succeeded', message };
  }

  async function results(b: SimBatch, res: ServerResponse): Promise<void> {
    const t = now();
    if (status(b, t) !== 'ended') return send(res, 400, errorBody('invalid_request_error', `Batch ${b.id} has not ended`, 'req_sim_batch'));
    const lines: string[] = [];
    for (const r of b.requests) {
      const o = outcomeAt(b, r, t);
      if (o === 'succeeded') lines.push(JSON.stringify({ custom_id: r.customId, result: await r.result }));
      else if (o === 'errored') lines.push(JSON.stringify({ custom_id: r.customId, result: { type: 'errored', error: errorBody('api_error', 'Internal server error (simulated)', `req_sim_${r.customId}`) } }));
      else lines.push(JSON.stringify({ custom_id: r.customId, result: { type: o } }));
    }
    if (emulation.strayCustomId) lines.splice(Math.min(1, lines.length), 0, JSON.stringify({ custom_id: emulation.strayCustomId, result: { type: 'expired' } }));
    let text = lines.map((l) => `${l}\n`).join('');
    if (emulation.truncateResults?.(b.id)) {
      const last = lines.at(-1) ?? '';
      text = text.slice(0, text.length - 1 - Math.ceil(last.length / 2));
    }
    res.writeHead(200, { 'content-type': 'application/binary' });
    res.end(text);
  }

  return {
    async serve(req, res, body) {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const m = /^\/v1\/messages\/batches(?:\/([^/]+)(?:\/(results|cancel))?)?$/.exec(url.pathname);
      if (!m) return false;
      const base = `http://${req.headers.host ?? '127.0.0.1'}`;
      const [, id, action] = m;
      if (!id && req.method === 'POST') { await create(await body(), res, base); return true; }
      if (!id && req.method === 'GET') {
        const data = [...batches.values()].filter((b) => !forgotten.has(b.id)).reverse().map((b) => wire(b, base));
        send(res, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
        return true;
      }
      const b = id && !forgotten.has(id) ? batches.get(id) ?? await revive(id) : undefined;
      if (!b) { send(res, 404, errorBody('not_found_error', `No batch ${id ?? ''}`, 'req_sim_batch')); return true; }
      if (action === 'results' && req.method === 'GET') await results(b, res);
      else if (action === 'cancel' && req.method === 'POST') { cancelBatch(b); await keep(b, keptParams.get(b.id) ?? []); send(res, 200, wire(b, base)); }
      else if (!action && req.method === 'GET') send(res, 200, wire(b, base));
      else send(res, 405, errorBody('invalid_request_error', `${req.method} ${url.pathname} is not allowed`, 'req_sim_batch'));
      return true;
    },
    cancel(batchId) {
      const b = batches.get(batchId);
      if (!b) return false;
      cancelBatch(b);
      return true;
    },
    forget(batchId) {
      if (!batches.has(batchId)) return false;
      forgotten.add(batchId);
      return true;
    },
    created: () => [...batches.values()].map((b) => ({ id: b.id, customIds: b.requests.map((r) => r.customId) })),
    rejectedCreates: () => rejected,
  };

  function cancelBatch(b: SimBatch): void {
    if (b.cancelAt === null && status(b, now()) !== 'ended') b.cancelAt = now();
  }
}

/** The real API keeps a batch's results for 29 days; kept batches older than that are deleted. */
const KEEP_MS = 29 * 86_400_000;

async function prune(dir: string, t: number): Promise<void> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith('msgbatch_sim_') && n.endsWith('.json')).map(async (n) => {
    const file = path.join(dir, n);
    const st = await fs.stat(file).catch(() => null);
    if (st && t - st.mtimeMs > KEEP_MS) await fs.rm(file, { force: true });
  }));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function safeParse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}
