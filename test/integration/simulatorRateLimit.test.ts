import Anthropic, { RateLimitError } from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { startMessagesServer, type MessagesServer } from '../../src/simulator/server';
import type { RateLimitOptions } from '../../src/simulator/rateLimit';

const servers: MessagesServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(rateLimit: RateLimitOptions, now?: () => number): Promise<MessagesServer> {
  const server = await startMessagesServer({ handler: () => ({ kind: 'message', content: [{ type: 'text', text: 'ok' }] }), rateLimit, now });
  servers.push(server);
  return server;
}

const ask = { model: 'claude-haiku-5-5', max_tokens: 256, messages: [{ role: 'user' as const, content: 'hello there' }] };

describe('simulated rate limits over HTTP', () => {
  it('answers 429 rate_limit_error with retry-after once the request bucket is empty, then refills', async () => {
    let clock = 0;
    const server = await serve({ requestsPerMinute: 2 }, () => clock);
    const client = new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
    const ok = await client.messages.create(ask).withResponse();
    expect(ok.response.headers.get('anthropic-ratelimit-requests-limit')).toBe('2');
    expect(ok.response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('1');
    expect(ok.response.headers.get('anthropic-ratelimit-requests-reset')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await client.messages.create(ask);
    const err = await client.messages.create(ask).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    const limited = err as RateLimitError;
    expect(limited.status).toBe(429);
    expect(limited.type).toBe('rate_limit_error');
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(limited.headers.get('retry-after-ms')).toBe('30000');
    expect(limited.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(server.stats.rateLimited).toBe(1);
    clock += 30_000;
    await expect(client.messages.create(ask)).resolves.toMatchObject({ type: 'message' });
  });

  it('limits input tokens per minute and sends the input-token headers', async () => {
    const clock = 0;
    const server = await serve({ inputTokensPerMinute: 100 }, () => clock);
    const client = new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
    const big = { ...ask, messages: [{ role: 'user' as const, content: 'y'.repeat(240) }] };
    const first = await client.messages.create(big).withResponse();
    expect(first.response.headers.get('anthropic-ratelimit-input-tokens-limit')).toBe('100');
    expect(Number(first.response.headers.get('anthropic-ratelimit-input-tokens-remaining'))).toBeLessThan(50);
    const err = await client.messages.create(big).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).message).toContain('input tokens per minute');
  });

  it('lets the SDK retry after the compressed retry-after-ms and succeed', async () => {
    const server = await serve({ requestsPerMinute: 1, timeScale: 0.005 }); // a "minute" of 300 ms
    const client = new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 2 });
    await client.messages.create(ask);
    const t0 = Date.now();
    await client.messages.create(ask);
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(200);
    expect(waited).toBeLessThan(2000);
    expect(server.stats.rateLimited).toBeGreaterThanOrEqual(1);
    expect(server.stats.totalRequests).toBe(2 + server.stats.rateLimited);
  });
});
