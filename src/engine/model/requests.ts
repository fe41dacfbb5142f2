import type { Config } from '../config';
import { AdaptiveLimit } from './limiter';
import { ModelError, type ModelClient, type ModelRequest, type ModelResponse } from './client';
import type { Clock } from '../types';

export interface RequestPolicyHooks {
  /** A terminal error (401/403/billing): the run must stop dispatching at once. */
  onTerminal(err: ModelError): void;
  /** Called before each retry wait, for the log. */
  onRetry?(err: ModelError, attempt: number, waitMs: number): void;
}

/** What one caller of `send` wants to hear about its own request (an agent's transcript). */
export interface RequestWatch {
  /** Called before each retry wait of this request. */
  onRetry?(err: ModelError, attempt: number, waitMs: number): void;
}

/**
 * Sends model requests for the whole run and retries transient errors (stalled streams included)
 * with exponential backoff that honours retry-after up to a cap.
 *
 * With `adaptiveConcurrency` each model gets one adaptive gate: it starts at the tier cap, halves
 * on 429/529 (once per congestion episode), grows back by one per streak of successes, and never
 * exceeds the cap. A slow-down pauses the whole model for the retry-after, not only the request
 * that got it, and the rate-limit headers pause it before the server has to refuse anything: when
 * a response says no requests (or too few input tokens for another such request) remain, nothing
 * more goes to that model until the limit's reset time. Without it, each request just waits out
 * its own retry-after at a fixed concurrency.
 */
export class RequestPolicy {
  private readonly gates = new Map<string, AdaptiveLimit>();
  /** Per model and shared prefix: settles once the first request with that prefix has its answer. */
  private readonly warming = new Map<string, Promise<void>>();

  constructor(
    private readonly model: ModelClient,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly hooks: RequestPolicyHooks,
  ) {}

  gate(model: string, cap: number): AdaptiveLimit {
    let g = this.gates.get(model);
    if (!g) { g = new AdaptiveLimit(cap, { clock: this.clock }); this.gates.set(model, g); }
    return g;
  }

  /** Peak concurrent requests per model (for tests and the bench). */
  peaks(): Record<string, number> {
    return Object.fromEntries([...this.gates].map(([m, g]) => [m, g.peak]));
  }

  /**
   * Sends a request. One that names a `sharedPrefix` is the first request of an agent whose prompt
   * starts like its siblings': the first of them with that prefix (per model) goes alone and the
   * rest wait until its response has begun, because a cache entry exists only from then, so
   * requests sent together would each write the same prefix at the write price instead of reading
   * it at a tenth. The wait is one time-to-first-token, once per model and prefix in a run.
   */
  async send(request: ModelRequest, cap: number, watch?: RequestWatch): Promise<ModelResponse> {
    if (request.sharedPrefix === undefined) return this.sendNow(request, cap, watch);
    const key = `${request.model}\n${request.sharedPrefix}`;
    const warm = this.warming.get(key);
    if (warm) {
      await abortable(warm, request.signal);
      return this.sendNow(request, cap, watch);
    }
    let done!: () => void;
    this.warming.set(key, new Promise<void>((resolve) => { done = resolve; }));
    try {
      // The others go once its response has begun (the cache entry exists from then, long before
      // a long answer has streamed), or once its first attempt ends without one: a failed or
      // retried request does not hold them through its backoff; one of them writes the prefix.
      const onResponseStart = (): void => { request.onResponseStart?.(); done(); };
      return await this.sendNow({ ...request, onResponseStart }, cap, watch, done);
    } finally {
      done();
    }
  }

  private async sendNow(request: ModelRequest, cap: number, watch?: RequestWatch, afterFirstAttempt?: () => void): Promise<ModelResponse> {
    // A stall (no stream event for streamIdleTimeoutMs) comes back as a transient error and is
    // retried below like a reset connection.
    const req: ModelRequest = request.idleTimeoutMs === undefined ? { ...request, idleTimeoutMs: this.config.streamIdleTimeoutMs } : request;
    const gate = this.gate(req.model, cap);
    const adaptive = this.config.adaptiveConcurrency;
    for (let attempt = 0; ; attempt++) {
      req.signal.throwIfAborted();
      const epoch = await gate.acquire(req.signal);
      let error: ModelError;
      try {
        const res = await this.model.create(req);
        if (adaptive) {
          gate.success();
          this.heedRateLimit(gate, res);
        }
        return res;
      } catch (err) {
        error = err instanceof ModelError ? err : new ModelError(String(err), 'transient');
      } finally {
        gate.release();
        afterFirstAttempt?.();
      }
      if (error.kind === 'aborted' || req.signal.aborted) throw new ModelError('request aborted', 'aborted');
      if (error.kind === 'terminal') { this.hooks.onTerminal(error); throw error; }
      if (error.kind !== 'transient' || attempt >= this.config.transientRetries) throw error;
      const wait = this.backoff(error, attempt);
      this.hooks.onRetry?.(error, attempt + 1, wait);
      watch?.onRetry?.(error, attempt + 1, wait);
      if (adaptive && error.slowDown) {
        // The whole model is over its limit, not this request: shrink and hold every request on it.
        // The retry waits in acquire(), behind the requests that were already waiting.
        gate.backOff(epoch);
        gate.pauseUntil(this.clock.now() + wait);
        continue;
      }
      await this.clock.sleep(wait, req.signal);
    }
  }

  /**
   * Pauses the model until the limit resets when the headers say the next request would be refused:
   * no requests left, or fewer input tokens left than this request just used. Waiting until the
   * bucket is full again loses no capacity (it refills at the same rate whether or not we wait)
   * and spares the server the 429s.
   */
  private heedRateLimit(gate: AdaptiveLimit, res: ModelResponse): void {
    const rl = res.rateLimit;
    if (!rl) return;
    const latest = this.clock.now() + this.config.maxRetryAfterMs;
    if (rl.requestsRemaining !== undefined && rl.requestsRemaining <= 0 && Number.isFinite(rl.resetAt)) {
      gate.pauseUntil(Math.min(rl.resetAt!, latest));
    }
    const tokensReset = rl.tokensResetAt ?? rl.resetAt;
    const used = res.usage.input + res.usage.cacheWrite;
    if (rl.tokensRemaining !== undefined && tokensReset !== undefined && Number.isFinite(tokensReset) && rl.tokensRemaining < used) {
      gate.pauseUntil(Math.min(tokensReset, latest));
    }
  }

  private backoff(err: ModelError, attempt: number): number {
    if (err.retryAfterMs !== null) return Math.min(err.retryAfterMs, this.config.maxRetryAfterMs);
    const base = this.config.retryBaseMs * 2 ** attempt;
    return Math.min(base * (0.75 + Math.random() * 0.5), this.config.maxRetryAfterMs);
  }
}

/** Waits for `p` unless the signal aborts first (then rejects with its reason). */
function abortable(p: Promise<void>, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(() => { signal.removeEventListener('abort', onAbort); resolve(); });
  });
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => new Promise<void>((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return; }
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(t); reject(signal!.reason); };
    signal?.addEventListener('abort', onAbort, { once: true });
  }),
};

/**
 * One batched agent's policy: its single-turn requests go through a Message Batch (`viaBatch`),
 * which falls back to the run's own policy (`base`: its gates and backoff) when the batches cannot
 * answer. A subclass only so that roles take it where they take the run's policy.
 */
export class BatchedPolicy extends RequestPolicy {
  constructor(
    private readonly base: RequestPolicy, model: ModelClient, config: Config, clock: Clock,
    private readonly viaBatch: (req: ModelRequest, realtime: () => Promise<ModelResponse>) => Promise<ModelResponse>,
  ) {
    super(model, config, clock, { onTerminal: () => undefined });
  }

  override send(request: ModelRequest, cap: number, watch?: RequestWatch): Promise<ModelResponse> {
    return this.viaBatch(request, () => this.base.send(request, cap, watch));
  }

  override gate(model: string, cap: number): AdaptiveLimit {
    return this.base.gate(model, cap);
  }
}
