/**
 * The one file that imports @anthropic-ai/sdk. It turns our ModelRequest into a streaming
 * Messages call and every failure into a classified ModelError. SDK retries are off
 * (maxRetries: 0): the engine owns retries so that backoff, retry-after caps and adaptive
 * concurrency see every 429, and so that mid-stream errors (which the SDK never retries) follow
 * the same policy as the rest. A stream that goes silent after its headers is aborted by its idle
 * timer and reported as a transient error, so the policy retries it in seconds. Every abort
 * (idle timer, agent timeout, cancel) closes the connection through the body's reader (see
 * responseBody.ts), and a response longer than its `max_tokens` allows is cut and reported.
 */
import Anthropic, { AnthropicError, APIError, APIUserAbortError, APIConnectionError, APIConnectionTimeoutError } from '@anthropic-ai/sdk';
import { partialParse } from '@anthropic-ai/sdk/_vendor/partial-json-parser/parser';
import { Stream } from '@anthropic-ai/sdk/core/streaming';
import { DEFAULT_STREAM_IDLE_TIMEOUT_MS } from '../config';
import { StreamIdleWatch } from './streamIdle';
import { guardBody, textCap, textTooLong, type GuardedBody } from './responseBody';
import {
  ModelError, type BatchClient, type BatchItem, type BatchResult, type BatchState, type ModelClient, type ModelRequest, type ModelResponse, type RateLimitInfo,
} from './client';

/** The request option (in `fetchOptions`) that hands leanFetch the controller a request is aborted with. */
const ABORTED_BY = Symbol('abortedBy');

/** The `fetch` signature the SDK calls. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface AnthropicClientOptions {
  apiKey: string;
  baseUrl?: string | null;
  /**
   * The transport, chosen by the front end: by default the platform `fetch` (which VS Code
   * routes through `http.proxy`, proxy authentication and the system certificates); the CLI
   * passes one that honours `HTTPS_PROXY`/`NO_PROXY`.
   */
  fetch?: Fetch;
}

export class AnthropicModelClient implements ModelClient {
  private readonly client: Anthropic;
  readonly batches: BatchClient;

  constructor(opts: AnthropicClientOptions) {
    this.client = new Anthropic({
      apiKey: opts.apiKey,
      ...(opts.baseUrl ? { baseURL: opts.baseUrl } : {}),
      maxRetries: 0,
      logLevel: 'off',
      // The platform fetch as the SDK would pick it (the global one when this client is made).
      fetch: leanFetch(opts.fetch ?? globalThis.fetch),
      // The ledger is this product's record of every call. In a shared extension host another
      // extension may register a global OpenTelemetry provider: our prompts' metadata and a
      // `traceparent` header would then go where the user never asked; and with none registered
      // the spans cost CPU on every request for nothing.
      openTelemetry: false,
    });
    this.batches = new AnthropicBatches(this.client);
  }

  /**
   * Our own controller for each request, so a stall can abort one request alone; the caller's
   * signal is forwarded to it (not combined with AbortSignal.any, whose dependants outlive
   * long-lived parent signals on Node 20) and the forward is removed when the request ends.
   * A controller is never lent to a second request: fetch adds a listener to the signal of every
   * request and drops it only when a full GC collects the request, so one signal shared by an
   * agent's turns gathered a listener a turn (200 turns, 200 listeners).
   */
  private lease(signal: AbortSignal): Leased {
    const ctl = new AbortController();
    const forward = (): void => ctl.abort(signal.reason);
    if (signal.aborted) forward();
    else signal.addEventListener('abort', forward, { once: true });
    return { ctl, forward };
  }

  async create(req: ModelRequest): Promise<ModelResponse> {
    const leased = this.lease(req.signal);
    const { ctl } = leased;
    const idle = new StreamIdleWatch(req.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS, () => ctl.abort());
    let body: GuardedBody | null = null;
    try {
      // The raw server-sent events of `create({stream: true})`, accumulated here: the same request
      // and the same events as the `messages.stream()` helper, without its event emitter, snapshot
      // copies per delta and span bookkeeping. Raw, because the SDK's event iterator drops `ping`,
      // and pings are what tell a model still at work from a stalled connection.
      const response = await this.client.messages.create(
        {
          model: req.model,
          max_tokens: req.maxTokens,
          system: req.system,
          messages: req.messages,
          ...(req.tools ? { tools: req.tools as Anthropic.Tool[] } : {}),
          ...(req.toolChoice ? { tool_choice: req.toolChoice } : {}),
          stream: true,
        },
        // Our controller travels to leanFetch rather than as the SDK's `signal`: given a signal, the
        // SDK links it to its own controller and registers the response body for finalization, a
        // link its raw event reader never releases, so every request's body, controllers and
        // signals waited for a full GC and were counted live at it.
        { timeout: req.timeoutMs, fetchOptions: { [ABORTED_BY]: ctl } as Anthropic.RequestOptions['fetchOptions'] },
      ).asResponse();
      idle.start();
      req.onResponseStart?.();
      // From here on an abort of `ctl` reaches the connection through this reader, not through fetch.
      body = guardBody(response, ctl.signal, req.maxTokens);
      const message = await accumulate(body.response, ctl, idle, req.maxTokens, req.onText);
      const headers = response.headers;
      return {
        model: message.model,
        content: message.content,
        stopReason: message.stopReason,
        usage: {
          input: message.usage.input_tokens,
          output: message.usage.output_tokens,
          cacheRead: message.usage.cache_read_input_tokens ?? 0,
          cacheWrite: message.usage.cache_creation_input_tokens ?? 0,
        },
        ...(headers ? { rateLimit: readRateLimit(headers) } : {}),
      };
    } catch (err) {
      // Frees the connection of a stream left half-read (an `error` event, a broken chunk).
      ctl.abort();
      if (idle.fired && !req.signal.aborted) throw new ModelError(idle.describe(), 'transient');
      throw classify(helperError(err), req.signal);
    } finally {
      idle.stop();
      body?.release();
      req.signal.removeEventListener('abort', leased.forward);
    }
  }
}

/**
 * The Message Batches endpoints through the SDK's `messages.batches`. Failures come back as
 * classified ModelErrors like realtime ones (a 429 on create is transient, for the caller's backoff).
 */
class AnthropicBatches implements BatchClient {
  constructor(private readonly client: Anthropic) {}

  async create(items: BatchItem[], signal: AbortSignal): Promise<BatchState> {
    const requests = items.map(({ customId, request: r }) => ({
      custom_id: customId,
      params: {
        model: r.model, max_tokens: r.maxTokens, system: r.system, messages: r.messages,
        ...(r.tools ? { tools: r.tools as Anthropic.Tool[] } : {}),
        ...(r.toolChoice ? { tool_choice: r.toolChoice } : {}),
      },
    }));
    return this.call(signal, () => this.client.messages.batches.create({ requests }, { signal }));
  }

  retrieve(id: string, signal: AbortSignal): Promise<BatchState> {
    return this.call(signal, () => this.client.messages.batches.retrieve(id, {}, { signal }));
  }

  cancel(id: string, signal: AbortSignal): Promise<BatchState> {
    return this.call(signal, () => this.client.messages.batches.cancel(id, {}, { signal }));
  }

  async list(signal: AbortSignal): Promise<BatchState[]> {
    const out: BatchState[] = [];
    try {
      for await (const b of this.client.messages.batches.list({ limit: 100 }, { signal })) out.push(batchState(b));
    } catch (err) {
      throw classify(err, signal);
    }
    return out;
  }

  async *results(id: string, signal: AbortSignal): AsyncIterable<BatchResult> {
    let lines = 0;
    let decoder: AsyncIterable<Anthropic.Messages.MessageBatchIndividualResponse>;
    try {
      decoder = await this.client.messages.batches.results(id, {}, { signal });
    } catch (err) {
      throw classify(err, signal);
    }
    try {
      for await (const line of decoder) {
        lines++;
        yield batchResult(line);
      }
    } catch (err) {
      // The SDK's JSONL decoder parses the text after the last newline too: a cut file ends in a SyntaxError.
      if (err instanceof SyntaxError) throw new ModelError(`results file of ${id} ends mid-line after ${lines} complete ${lines === 1 ? 'line' : 'lines'}`, 'transient');
      throw classify(err, signal);
    }
  }

  private async call(signal: AbortSignal, fn: () => Promise<Anthropic.Messages.MessageBatch>): Promise<BatchState> {
    try {
      return batchState(await fn());
    } catch (err) {
      throw classify(err, signal);
    }
  }
}

function batchState(b: Anthropic.Messages.MessageBatch): BatchState {
  const c = b.request_counts;
  return {
    id: b.id, status: b.processing_status,
    counts: { processing: c.processing, succeeded: c.succeeded, errored: c.errored, canceled: c.canceled, expired: c.expired },
    createdAt: b.created_at, expiresAt: b.expires_at, endedAt: b.ended_at,
  };
}

function batchResult(line: Anthropic.Messages.MessageBatchIndividualResponse): BatchResult {
  const r = line.result;
  if (r.type === 'succeeded') {
    const m = r.message;
    const content: ModelResponse['content'] = [];
    for (const b of m.content) {
      if (b.type === 'text') content.push({ type: 'text', text: b.text });
      else if (b.type === 'tool_use') content.push({ type: 'tool_use', id: b.id, name: b.name, input: b.input });
    }
    return {
      customId: line.custom_id, kind: 'succeeded',
      response: {
        model: m.model, content, stopReason: m.stop_reason,
        usage: { input: m.usage.input_tokens, output: m.usage.output_tokens, cacheRead: m.usage.cache_read_input_tokens ?? 0, cacheWrite: m.usage.cache_creation_input_tokens ?? 0 },
      },
    };
  }
  if (r.type === 'errored') {
    const e = r.error as { error?: { type?: string; message?: string } } | undefined;
    return { customId: line.custom_id, kind: 'errored', error: `${e?.error?.type ?? 'error'}: ${e?.error?.message ?? 'no message'}` };
  }
  return { customId: line.custom_id, kind: r.type };
}

/** A request's own controller, with its listener on the caller's signal. */
interface Leased {
  ctl: AbortController;
  forward: () => void;
}

/**
 * Hands the transport each request body as its UTF-8 bytes instead of the SDK's JSON string, and
 * asks it never to follow a redirect. The bytes on the wire are the same (the SDK sets the content
 * type itself). Node's fetch keeps each request's graph alive, through its FinalizationRegistry
 * entries, until a full GC: everything it references is promoted to the old generation, which V8
 * then sizes at up to four times what is live.
 * - Given a string, fetch keeps a well-formed copy of it on the Request (20–80 kB a request, half
 *   the engine's promoted bytes at 1,000 agents). Bytes are copied outside the JS heap.
 * - Unless the request may not redirect (`redirect: 'error'`, no window), fetch clones it, teeing
 *   its body into two more streams kept the same way (a quarter of fetch's promoted bytes, and
 *   ~0.1 ms of CPU a request). The Messages API never redirects; a proxy or gateway that does is
 *   reported as such (see `classify`).
 * - The request is aborted by the caller's controller (see `create`), which also follows the
 *   SDK's signal, so that fetch holds our one signal rather than the SDK's linked pair.
 * The SDK builds `init` afresh for every call, so it is completed in place rather than copied.
 */
function leanFetch(fetch: Fetch): Fetch {
  return (input, init: RequestInit & { [ABORTED_BY]?: AbortController } = {}) => {
    if (typeof init.body === 'string') init.body = Buffer.from(init.body, 'utf8');
    init.redirect = 'error';
    init.window = null;
    const ours = init[ABORTED_BY];
    if (ours) {
      delete init[ABORTED_BY];
      // The SDK's signal aborts on its request timeout (no headers in time): ours follows it.
      const sdk = init.signal;
      if (sdk?.aborted) ours.abort(sdk.reason);
      else sdk?.addEventListener('abort', () => ours.abort(sdk.reason), { once: true });
      init.signal = ours.signal;
    }
    return fetch(input, init);
  };
}

interface Accumulated {
  model: string;
  content: ModelResponse['content'];
  stopReason: string | null;
  usage: Anthropic.Usage;
}

/** A content block being streamed: text so far, or a tool call and its input JSON so far. */
type OpenBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown; json: string | null }
  | { type: 'other' };

/**
 * The final message of a raw event stream, built as `MessageStream` builds it: text deltas
 * appended, tool input JSON parsed (partially, like the helper, if cut short) when the message is
 * done, usage overwritten by `message_delta`. Every event, `ping` included, resets the idle timer;
 * an `error` event becomes the APIError the SDK's own iterator raises. Ends with the helper's
 * errors when the stream does. Text deltas also go to `onText` as they arrive. More text and tool
 * input than `textCap(maxTokens)` ends it with a non-transient error naming the cap.
 */
async function accumulate(response: Response, ctl: AbortController, idle: StreamIdleWatch, maxTokens: number, onText?: (delta: string) => void): Promise<Accumulated> {
  let started: Anthropic.Message | null = null;
  let room = textCap(maxTokens);
  let stopped = false;
  const blocks: OpenBlock[] = [];
  let stopReason: string | null = null;
  for await (const sse of Stream.rawEvents(response, ctl)) {
    idle.touch();
    if (sse.event === 'ping' || sse.event === null) continue;
    if (sse.event === 'error') {
      const body = safeJson(sse.data) as { error?: { type?: Anthropic.ErrorType } } | null;
      throw new APIError(undefined, body ?? sse.data, undefined, response.headers, body?.error?.type);
    }
    if (!sse.data) continue;
    const event = JSON.parse(sse.data) as Anthropic.RawMessageStreamEvent;
    if (event.type === 'message_start') {
      if (started) throw new AnthropicError(`Unexpected event order, got ${event.type} before receiving "message_stop"`);
      started = event.message;
      stopReason = started.stop_reason;
      for (const b of started.content) blocks.push(openBlock(b));
      continue;
    }
    if (!started) continue;
    switch (event.type) {
      case 'message_stop':
        stopped = true;
        break;
      case 'message_delta': {
        stopReason = event.delta.stop_reason;
        const u = started.usage;
        u.output_tokens = event.usage.output_tokens;
        if (event.usage.input_tokens != null) u.input_tokens = event.usage.input_tokens;
        if (event.usage.cache_creation_input_tokens != null) u.cache_creation_input_tokens = event.usage.cache_creation_input_tokens;
        if (event.usage.cache_read_input_tokens != null) u.cache_read_input_tokens = event.usage.cache_read_input_tokens;
        break;
      }
      case 'content_block_start':
        blocks.push(openBlock(event.content_block));
        break;
      case 'content_block_delta': {
        const b = blocks.at(event.index);
        if (event.delta.type === 'text_delta' || event.delta.type === 'input_json_delta') {
          room -= event.delta.type === 'text_delta' ? event.delta.text.length : event.delta.partial_json.length;
          if (room < 0) throw textTooLong(maxTokens);
        }
        if (event.delta.type === 'text_delta' && b?.type === 'text') {
          b.text += event.delta.text;
          onText?.(event.delta.text);
        }
        else if (event.delta.type === 'input_json_delta' && b?.type === 'tool_use') b.json = (b.json ?? '') + event.delta.partial_json;
        break;
      }
      default:
        break;
    }
  }
  if (!started) throw new AnthropicError('request ended without sending any chunks');
  if (!stopped) throw new AnthropicError('stream ended without producing a Message with role=assistant');
  const content: ModelResponse['content'] = [];
  for (const b of blocks) {
    if (b.type === 'text') content.push({ type: 'text', text: b.text });
    else if (b.type === 'tool_use') content.push({ type: 'tool_use', id: b.id, name: b.name, input: b.json === null ? b.input : b.json ? parseToolInput(b.json) : {} });
  }
  return { model: started.model, content, stopReason, usage: started.usage };
}

function openBlock(b: Anthropic.ContentBlock): OpenBlock {
  if (b.type === 'text') return { type: 'text', text: b.text || '' };
  if (b.type === 'tool_use') return { type: 'tool_use', id: b.id, name: b.name, input: b.input, json: null };
  return { type: 'other' };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Complete JSON parses as JSON; a cut-off one the way the helper parses it. */
function parseToolInput(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return partialParse(json);
  }
}

/** What `MessageStream` turns a failure into before `finalMessage()` rejects with it. */
function helperError(err: unknown): unknown {
  if (typeof err === 'object' && err !== null && (('name' in err && err.name === 'AbortError')
    || ('message' in err && String(err.message).includes('FetchRequestCanceledException')))) {
    return new APIUserAbortError();
  }
  if (err instanceof AnthropicError || err instanceof ModelError) return err;
  if (err instanceof Error) {
    const wrapped = new AnthropicError(err.message);
    (wrapped as { cause?: unknown }).cause = err;
    return wrapped;
  }
  return new AnthropicError(String(err));
}

/** Maps any SDK or network failure to a ModelError. Uses status/type, never constructor names (esbuild renames classes). */
export function classify(err: unknown, signal?: AbortSignal): ModelError {
  if (err instanceof ModelError) return err;
  if (err instanceof APIUserAbortError || signal?.aborted) {
    return new ModelError('request aborted', 'aborted');
  }
  if (err instanceof APIConnectionTimeoutError) {
    return new ModelError('no response headers within requestTimeoutMs', 'transient');
  }
  if (err instanceof APIConnectionError) {
    // The SDK says only "Connection error."; the cause says which address refused or reset (a proxy's, when one is set).
    const why = causes(err);
    // Requests never follow redirects (see leanFetch), and asking again gets the same answer.
    if (why.endsWith('unexpected redirect')) {
      return new ModelError('the API address answered with a redirect, which is not followed: set the base URL (orchestration.baseUrl, or baseUrl in the config) to the address it redirects to', 'terminal');
    }
    return new ModelError(`connection failed: ${why}`, 'transient');
  }
  if (err instanceof APIError) {
    const status = typeof err.status === 'number' ? err.status : null;
    const type = err.type ?? (err.error as { error?: { type?: string } } | undefined)?.error?.type ?? null;
    const message = `${status ?? 'stream'} ${type ?? 'error'}: ${err.apiMessage ?? err.message}`;
    const retryAfterMs = err.headers ? retryAfter(err.headers as Headers) : null;
    if (type === 'billing_error' || status === 401 || status === 403 || status === 402 || type === 'authentication_error' || type === 'permission_error') {
      return new ModelError(message, 'terminal', status);
    }
    if (status === 429 || status === 529 || type === 'overloaded_error' || type === 'rate_limit_error') {
      return new ModelError(message, 'transient', status, retryAfterMs, true);
    }
    if (err instanceof APIConnectionError || status === null || status === 408 || status === 409 || status >= 500) {
      return new ModelError(message, 'transient', status, retryAfterMs);
    }
    return new ModelError(message, 'invalid', status);
  }
  const e = err as { message?: string; name?: string };
  // Broken JSON or a torn stream from a proxy: worth another try.
  return new ModelError(`${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`, 'transient');
}

/** The messages of an error's cause chain, innermost last ("fetch failed: connect ECONNREFUSED 127.0.0.1:8080"). */
function causes(err: Error): string {
  const parts: string[] = [];
  for (let e: unknown = err.cause, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.message && !parts.includes(e.message)) parts.push(e.message);
  }
  return parts.join(': ') || err.message;
}

function retryAfter(headers: Headers): number | null {
  const ms = Number(headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const raw = headers.get('retry-after');
  if (!raw) return null;
  const secs = Number(raw);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : null;
}

function readRateLimit(headers: Headers): RateLimitInfo | undefined {
  const num = (name: string): number | undefined => {
    const v = headers.get(name);
    return v === null || v === '' ? undefined : Number(v);
  };
  const requestsRemaining = num('anthropic-ratelimit-requests-remaining');
  const tokensRemaining = num('anthropic-ratelimit-input-tokens-remaining') ?? num('anthropic-ratelimit-tokens-remaining');
  const reset = headers.get('anthropic-ratelimit-requests-reset');
  const tokensReset = headers.get('anthropic-ratelimit-input-tokens-reset') ?? headers.get('anthropic-ratelimit-tokens-reset');
  if (requestsRemaining === undefined && tokensRemaining === undefined) return undefined;
  return {
    requestsRemaining, tokensRemaining,
    ...(reset ? { resetAt: Date.parse(reset) } : {}),
    ...(tokensReset ? { tokensResetAt: Date.parse(tokensReset) } : {}),
  };
}
