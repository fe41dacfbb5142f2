import type { Config } from './config';
import { AdaptiveLimit } from './limiter';
import { ModelError, type ModelClient, type ModelRequest, type ModelResponse } from './model';
import type { Clock } from './types';

export interface RequestPolicyHooks {
  /** A terminal error (401/403/billing): the run must stop dispatching at once. */
  onTerminal(err: ModelError): void;
  /** Called before each retry wait, for the log. */
  onRetry?(err: ModelError, attempt: number, waitMs: number): void;
}

/**
 * Sends model requests for the whole run: one adaptive concurrency gate per model (starts at the
 * tier cap, halves on 429/529, grows back on success) and retries of transient errors with
 * exponential backoff that honours retry-after up to a cap.
 */
export class RequestPolicy {
  private readonly gates = new Map<string, AdaptiveLimit>();

  constructor(
    private readonly model: ModelClient,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly hooks: RequestPolicyHooks,
  ) {}

  gate(model: string, cap: number): AdaptiveLimit {
    let g = this.gates.get(model);
    if (!g) { g = new AdaptiveLimit(cap); this.gates.set(model, g); }
    return g;
  }

  /** Peak concurrent requests per model (for tests and the bench). */
  peaks(): Record<string, number> {
    return Object.fromEntries([...this.gates].map(([m, g]) => [m, g.peak]));
  }

  async send(req: ModelRequest, cap: number): Promise<ModelResponse> {
    const gate = this.gate(req.model, cap);
    for (let attempt = 0; ; attempt++) {
      req.signal.throwIfAborted();
      await gate.acquire(req.signal);
      let error: ModelError;
      try {
        const res = await this.model.create(req);
        if (this.config.adaptiveConcurrency) gate.success();
        return res;
      } catch (err) {
        error = err instanceof ModelError ? err : new ModelError(String(err), 'transient');
      } finally {
        gate.release();
      }
      if (error.kind === 'aborted' || req.signal.aborted) throw new ModelError('request aborted', 'aborted');
      if (error.kind === 'terminal') { this.hooks.onTerminal(error); throw error; }
      if (error.kind !== 'transient' || attempt >= this.config.transientRetries) throw error;
      if (error.slowDown && this.config.adaptiveConcurrency) gate.backOff();
      const wait = this.backoff(error, attempt);
      this.hooks.onRetry?.(error, attempt + 1, wait);
      await this.clock.sleep(wait, req.signal);
    }
  }

  private backoff(err: ModelError, attempt: number): number {
    if (err.retryAfterMs !== null) return Math.min(err.retryAfterMs, this.config.maxRetryAfterMs);
    const base = this.config.retryBaseMs * 2 ** attempt;
    return Math.min(base * (0.75 + Math.random() * 0.5), this.config.maxRetryAfterMs);
  }
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
