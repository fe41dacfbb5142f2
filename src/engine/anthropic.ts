/**
 * The one file that imports @anthropic-ai/sdk. It turns our ModelRequest into a streaming
 * Messages call and every failure into a classified ModelError. SDK retries are off
 * (maxRetries: 0): the engine owns retries so that backoff, retry-after caps and adaptive
 * concurrency see every 429, and so that mid-stream errors (which the SDK never retries) follow
 * the same policy as the rest.
 */
import Anthropic, { APIError, APIUserAbortError, APIConnectionError } from '@anthropic-ai/sdk';
import { ModelError, type ModelClient, type ModelRequest, type ModelResponse, type RateLimitInfo } from './model';

export interface AnthropicClientOptions {
  apiKey: string;
  baseUrl?: string | null;
}

export class AnthropicModelClient implements ModelClient {
  private readonly client: Anthropic;

  constructor(opts: AnthropicClientOptions) {
    this.client = new Anthropic({
      apiKey: opts.apiKey,
      ...(opts.baseUrl ? { baseURL: opts.baseUrl } : {}),
      maxRetries: 0,
      logLevel: 'off',
    });
  }

  async create(req: ModelRequest): Promise<ModelResponse> {
    try {
      const stream = this.client.messages.stream(
        {
          model: req.model,
          max_tokens: req.maxTokens,
          system: req.system,
          messages: req.messages as Anthropic.MessageParam[],
          ...(req.tools ? { tools: req.tools as Anthropic.Tool[] } : {}),
          ...(req.toolChoice ? { tool_choice: req.toolChoice } : {}),
        },
        { signal: req.signal, timeout: req.timeoutMs },
      );
      const message = await stream.finalMessage();
      const headers = stream.response?.headers;
      return {
        model: message.model,
        content: message.content.flatMap((b): ModelResponse['content'] =>
          b.type === 'text' ? [{ type: 'text', text: b.text }]
            : b.type === 'tool_use' ? [{ type: 'tool_use', id: b.id, name: b.name, input: b.input }]
              : []),
        stopReason: message.stop_reason,
        usage: {
          input: message.usage.input_tokens,
          output: message.usage.output_tokens,
          cacheRead: message.usage.cache_read_input_tokens ?? 0,
          cacheWrite: message.usage.cache_creation_input_tokens ?? 0,
        },
        ...(headers ? { rateLimit: readRateLimit(headers) } : {}),
      };
    } catch (err) {
      throw classify(err, req.signal);
    }
  }
}

/** Maps any SDK or network failure to a ModelError. Uses status/type, never constructor names (esbuild renames classes). */
export function classify(err: unknown, signal?: AbortSignal): ModelError {
  if (err instanceof ModelError) return err;
  if (err instanceof APIUserAbortError || signal?.aborted) {
    return new ModelError('request aborted', 'aborted');
  }
  if (err instanceof APIError) {
    const status = typeof err.status === 'number' ? err.status : null;
    const type = err.type ?? (err.error as { error?: { type?: string } } | undefined)?.error?.type ?? null;
    const message = `${status ?? 'stream'} ${type ?? 'error'}: ${err.apiMessage ?? err.message}`;
    const retryAfterMs = err.headers ? retryAfter(err.headers) : null;
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
