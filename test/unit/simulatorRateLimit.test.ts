import { describe, expect, it } from 'vitest';
import { RateLimiter, TokenBucket, retryAfterHeaders } from '../../src/simulator/rateLimit';

describe('TokenBucket', () => {
  it('starts full, drains and refills linearly over its period', () => {
    const b = new TokenBucket(60, 60_000, 0);
    expect(b.remaining(0)).toBe(60);
    b.take(60, 0);
    expect(b.remaining(0)).toBe(0);
    expect(b.waitFor(1, 0)).toBe(1000);
    expect(b.remaining(30_000)).toBe(30);
    expect(b.msUntilFull(30_000)).toBe(30_000);
    expect(b.remaining(120_000)).toBe(60);
  });

  it('lets a request larger than the bucket through only when the bucket is full', () => {
    const b = new TokenBucket(100, 1000, 0);
    expect(b.waitFor(500, 0)).toBe(0);
    b.take(500, 0);
    expect(b.remaining(0)).toBe(0);
    expect(b.waitFor(500, 0)).toBe(1000);
  });
});

describe('RateLimiter', () => {
  it('admits requests until the request bucket is empty, then says how long to wait', () => {
    const rl = new RateLimiter({ requestsPerMinute: 2 }, 0);
    expect(rl.check(10, 0).ok).toBe(true);
    const second = rl.check(10, 0);
    expect(second.ok).toBe(true);
    expect(second.headers['anthropic-ratelimit-requests-remaining']).toBe('0');
    const third = rl.check(10, 0);
    expect(third).toMatchObject({ ok: false, limit: 'requests', retryAfterMs: 30_000 });
    expect(third.headers['anthropic-ratelimit-requests-limit']).toBe('2');
    expect(third.headers['anthropic-ratelimit-requests-reset']).toBe('1970-01-01T00:01:00Z');
    expect(rl.check(10, 30_000).ok).toBe(true);
  });

  it('limits input tokens separately and compresses time with timeScale', () => {
    const rl = new RateLimiter({ inputTokensPerMinute: 1000, timeScale: 0.01 }, 0);
    expect(rl.check(600, 0).ok).toBe(true);
    const refused = rl.check(600, 0);
    expect(refused).toMatchObject({ ok: false, limit: 'input-tokens', retryAfterMs: 120 });
    expect(refused.headers['anthropic-ratelimit-input-tokens-remaining']).toBe('400');
    expect(refused.headers['anthropic-ratelimit-requests-limit']).toBeUndefined();
    expect(rl.check(600, 120).ok).toBe(true);
  });

  it('rounds retry-after up to whole seconds and keeps the exact milliseconds', () => {
    expect(retryAfterHeaders(120)).toEqual({ 'retry-after': '1', 'retry-after-ms': '120' });
    expect(retryAfterHeaders(2500)).toEqual({ 'retry-after': '3', 'retry-after-ms': '2500' });
  });
});
