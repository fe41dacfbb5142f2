export interface RateLimitOptions {
  requestsPerMinute?: number;
  inputTokensPerMinute?: number;
  /** Compresses time for benches: 0.01 makes a "minute" last 600 ms. Default 1. */
  timeScale?: number;
}

/** A bucket that holds `capacity` and refills linearly to full over `periodMs`. */
export class TokenBucket {
  private level: number;
  private updatedAt: number;

  constructor(readonly capacity: number, private readonly periodMs: number, now: number) {
    this.level = capacity;
    this.updatedAt = now;
  }

  remaining(now: number): number {
    this.refill(now);
    return Math.floor(this.level);
  }

  /** Milliseconds until `amount` is available (0 when it is now). */
  waitFor(amount: number, now: number): number {
    this.refill(now);
    const need = Math.min(amount, this.capacity) - this.level;
    return need <= 0 ? 0 : Math.ceil((need * this.periodMs) / this.capacity);
  }

  /**
   * Takes `amount`. A request larger than the whole bucket is let through only when the bucket is full
   * (it empties it), so an oversized request is throttled but never starved.
   */
  take(amount: number, now: number): void {
    this.refill(now);
    this.level = Math.max(0, this.level - amount);
  }

  msUntilFull(now: number): number {
    this.refill(now);
    return Math.ceil(((this.capacity - this.level) * this.periodMs) / this.capacity);
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.updatedAt);
    this.level = Math.min(this.capacity, this.level + (elapsed * this.capacity) / this.periodMs);
    this.updatedAt = now;
  }
}

export type RateDecision =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; retryAfterMs: number; limit: 'requests' | 'input-tokens'; message: string; headers: Record<string, string> };

/**
 * The organisation's per-minute limits as token buckets. `check` either admits a request (taking one
 * request and its uncached input tokens) or says how long to wait; both carry the
 * `anthropic-ratelimit-*` headers the real API sends.
 */
export class RateLimiter {
  private readonly requests: TokenBucket | null;
  private readonly tokens: TokenBucket | null;

  constructor(opts: RateLimitOptions, now: number) {
    const period = 60_000 * (opts.timeScale ?? 1);
    this.requests = opts.requestsPerMinute ? new TokenBucket(opts.requestsPerMinute, period, now) : null;
    this.tokens = opts.inputTokensPerMinute ? new TokenBucket(opts.inputTokensPerMinute, period, now) : null;
  }

  check(inputTokens: number, now: number): RateDecision {
    const waitRequests = this.requests?.waitFor(1, now) ?? 0;
    const waitTokens = this.tokens?.waitFor(inputTokens, now) ?? 0;
    if (waitRequests > 0 || waitTokens > 0) {
      const limit = waitRequests >= waitTokens ? 'requests' : 'input-tokens';
      const message = limit === 'requests'
        ? `This request would exceed the rate limit for your organization of ${this.requests?.capacity} requests per minute.`
        : `This request would exceed the rate limit for your organization of ${this.tokens?.capacity} input tokens per minute.`;
      return { ok: false, retryAfterMs: Math.max(waitRequests, waitTokens), limit, message, headers: this.headers(now) };
    }
    this.requests?.take(1, now);
    this.tokens?.take(inputTokens, now);
    return { ok: true, headers: this.headers(now) };
  }

  headers(now: number): Record<string, string> {
    const out: Record<string, string> = {};
    const put = (prefix: string, b: TokenBucket | null) => {
      if (!b) return;
      out[`${prefix}-limit`] = String(b.capacity);
      out[`${prefix}-remaining`] = String(b.remaining(now));
      out[`${prefix}-reset`] = new Date(now + b.msUntilFull(now)).toISOString().replace(/\.\d{3}Z$/, 'Z');
    };
    put('anthropic-ratelimit-requests', this.requests);
    put('anthropic-ratelimit-input-tokens', this.tokens);
    return out;
  }
}

/** The retry headers of a 429: integer seconds like the real API, plus the exact milliseconds. */
export function retryAfterHeaders(ms: number): Record<string, string> {
  return { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))), 'retry-after-ms': String(Math.max(1, Math.ceil(ms))) };
}
