import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config';
import { ModelError, type ModelClient, type ModelRequest, type ModelResponse, type RateLimitInfo } from '../../src/engine/model/client';
import { RequestPolicy } from '../../src/engine/model/requests';
import { FakeClock, settle } from './fakeClock';

const MODEL = 'claude-haiku-5-5';

function ok(rateLimit?: RateLimitInfo, input = 100): ModelResponse {
  return { model: MODEL, content: [{ type: 'text', text: 'ok' }], stopReason: 'end_turn', usage: { input, output: 5, cacheRead: 0, cacheWrite: 0 }, ...(rateLimit ? { rateLimit } : {}) };
}

const tooMany = (retryAfterMs: number | null = 1000): ModelError => new ModelError('429 rate_limit_error', 'transient', 429, retryAfterMs, true);

/** A model client whose answers are scripted per call; it records when each call arrived. */
function scripted(answers: Array<() => ModelResponse | ModelError>, clock: FakeClock) {
  const calls: number[] = [];
  const client: ModelClient = {
    async create() {
      calls.push(clock.now());
      const next = answers.shift() ?? (() => ok());
      const a = next();
      if (a instanceof ModelError) throw a;
      return a;
    },
  };
  return { client, calls };
}

function req(): ModelRequest {
  return { model: MODEL, system: [], messages: [], maxTokens: 10, signal: new AbortController().signal, timeoutMs: 1000 };
}

function policy(client: ModelClient, clock: FakeClock, config: Record<string, unknown> = {}) {
  const terminal: ModelError[] = [];
  const p = new RequestPolicy(client, parseConfig({ retryBaseMs: 100, ...config }), clock, { onTerminal: (e) => terminal.push(e) });
  return { p, terminal };
}

describe('RequestPolicy', () => {
  it('retries a 429 after its retry-after and returns the later success', async () => {
    const clock = new FakeClock();
    const { client, calls } = scripted([() => tooMany(1500)], clock);
    const { p } = policy(client, clock);
    const sent = p.send(req(), 4);
    await clock.advance(1499);
    expect(calls.length).toBe(1);
    await clock.advance(1);
    await expect(sent).resolves.toMatchObject({ content: [{ text: 'ok' }] });
    expect(calls[1] - calls[0]).toBe(1500);
  });

  it('holds every request on the model after a 429, not only the refused one', async () => {
    const clock = new FakeClock();
    const { client, calls } = scripted([() => tooMany(2000)], clock);
    const { p } = policy(client, clock);
    const first = p.send(req(), 4);
    await settle();
    const second = p.send(req(), 4);
    await clock.advance(1000);
    expect(calls.length).toBe(1);
    await clock.advance(1000);
    await Promise.all([first, second]);
    expect(calls.length).toBe(3);
  });

  it('halves the model gate on a 429 and grows it back with successes, never above the cap', async () => {
    const clock = new FakeClock();
    const { client } = scripted([() => tooMany(10)], clock);
    const { p } = policy(client, clock);
    const sent = p.send(req(), 4);
    await clock.advance(10);
    await sent;
    const gate = p.gate(MODEL, 4);
    expect(gate.limit).toBe(2);
    for (let i = 0; i < 20; i++) await p.send(req(), 4);
    expect(gate.limit).toBe(4);
  });

  it('stops sending to a model whose headers say no requests remain, until the limit resets', async () => {
    const clock = new FakeClock();
    const resetAt = clock.now() + 3000;
    const { client, calls } = scripted([() => ok({ requestsRemaining: 0, tokensRemaining: 50_000, resetAt })], clock);
    const { p } = policy(client, clock);
    await p.send(req(), 4);
    const next = p.send(req(), 4);
    await clock.advance(2999);
    expect(calls.length).toBe(1);
    await clock.advance(1);
    await next;
    expect(calls.length).toBe(2);
  });

  it('pauses until the token limit resets when fewer input tokens remain than a request just used', async () => {
    const clock = new FakeClock();
    const tokensResetAt = clock.now() + 5000;
    const { client, calls } = scripted([() => ok({ requestsRemaining: 10, tokensRemaining: 900, resetAt: clock.now() + 100, tokensResetAt }, 1000)], clock);
    const { p } = policy(client, clock);
    await p.send(req(), 4);
    const next = p.send(req(), 4);
    await clock.advance(4999);
    expect(calls.length).toBe(1);
    await clock.advance(1);
    await next;
  });

  it('never waits longer than maxRetryAfterMs for a reset', async () => {
    const clock = new FakeClock();
    const { client, calls } = scripted([() => ok({ requestsRemaining: 0, resetAt: clock.now() + 3_600_000 })], clock);
    const { p } = policy(client, clock, { maxRetryAfterMs: 2000 });
    await p.send(req(), 4);
    const next = p.send(req(), 4);
    await clock.advance(1999);
    expect(calls.length).toBe(1);
    await clock.advance(1);
    await next;
    expect(calls.length).toBe(2);
  });

  it('with adaptive concurrency off, keeps the cap and ignores the headers', async () => {
    const clock = new FakeClock();
    const { client, calls } = scripted([() => tooMany(50), () => ok({ requestsRemaining: 0, resetAt: clock.now() + 60_000 })], clock);
    const { p } = policy(client, clock, { adaptiveConcurrency: false });
    const sent = p.send(req(), 4);
    await clock.advance(50);
    await sent;
    expect(p.gate(MODEL, 4).limit).toBe(4);
    await p.send(req(), 4);
    expect(calls.length).toBe(3);
  });

  it('gives up after transientRetries and reports a terminal error without retrying', async () => {
    const clock = new FakeClock();
    const { client, calls } = scripted([() => tooMany(10), () => tooMany(10), () => tooMany(10)], clock);
    const { p } = policy(client, clock, { transientRetries: 2 });
    const sent = p.send(req(), 4);
    const outcome = sent.then(() => 'resolved', (e: ModelError) => e.status);
    await clock.advance(100);
    expect(await outcome).toBe(429);
    expect(calls.length).toBe(3);

    const denied = scripted([() => new ModelError('401 authentication_error', 'terminal', 401)], clock);
    const t = policy(denied.client, clock);
    await expect(t.p.send(req(), 4)).rejects.toMatchObject({ status: 401 });
    expect(t.terminal.length).toBe(1);
    expect(denied.calls.length).toBe(1);
  });

  it('gives every request the run stream idle timeout and retries a stalled stream with backoff', async () => {
    const clock = new FakeClock();
    const seen: Array<number | undefined> = [];
    let n = 0;
    const client: ModelClient = {
      async create(r) {
        seen.push(r.idleTimeoutMs);
        if (++n === 1) throw new ModelError('stream stalled: no event for 750 ms after 2 events (streamIdleTimeoutMs); aborted as a transient error', 'transient');
        return ok();
      },
    };
    const retries: Array<{ message: string; wait: number }> = [];
    const p = new RequestPolicy(client, parseConfig({ retryBaseMs: 100, streamIdleTimeoutMs: 750 }), clock, {
      onTerminal: () => undefined, onRetry: (e, _n, wait) => retries.push({ message: e.message, wait }),
    });
    const sent = p.send(req(), 4);
    await clock.advance(200);
    await expect(sent).resolves.toMatchObject({ content: [{ text: 'ok' }] });
    expect(seen).toEqual([750, 750]);
    expect(retries).toHaveLength(1);
    expect(retries[0].message).toMatch(/stream stalled/);
    expect(retries[0].wait).toBeGreaterThanOrEqual(75); // backoff of retryBaseMs (with jitter), not an instant retry
  });

  it('sends the first request with a shared prefix alone and holds the others on that model and prefix until its answer is in', async () => {
    const clock = new FakeClock();
    const sent: string[] = [];
    const answers = new Map<string, () => void>();
    const client: ModelClient = {
      create: (r) => new Promise<ModelResponse>((resolve) => {
        const name = r.messages.length ? String((r.messages[0].content[0] as { text: string }).text) : '?';
        sent.push(name);
        answers.set(name, () => resolve(ok()));
      }),
    };
    const { p } = policy(client, clock);
    const named = (name: string, model = MODEL, sharedPrefix: string | null = 'p1'): ModelRequest => ({
      ...req(), model, messages: [{ role: 'user', content: [{ type: 'text', text: name }] }], ...(sharedPrefix ? { sharedPrefix } : {}),
    });
    const first = p.send(named('a1'), 8);
    const second = p.send(named('a2'), 8);
    const otherModel = p.send(named('b1', 'claude-opus-5-5'), 8);
    const otherPrefix = p.send(named('c1', MODEL, 'p2'), 8);
    const unshared = p.send(named('d1', MODEL, null), 8);
    await settle();
    expect(sent).toEqual(['a1', 'b1', 'c1', 'd1']);
    answers.get('a1')!();
    await first;
    await settle();
    expect(sent).toEqual(['a1', 'b1', 'c1', 'd1', 'a2']);
    const later = p.send(named('a3'), 8);
    await settle();
    expect(sent.at(-1)).toBe('a3');
    for (const n of ['a2', 'a3', 'b1', 'c1', 'd1']) answers.get(n)!();
    await Promise.all([second, otherModel, otherPrefix, unshared, later]);
  });

  it('lets the held requests go when the first one with their prefix fails', async () => {
    const clock = new FakeClock();
    const { client, calls } = scripted([() => new ModelError('bad request', 'invalid', 400)], clock);
    const { p } = policy(client, clock);
    const shared: ModelRequest = { ...req(), sharedPrefix: 'p1' };
    const first = p.send(shared, 8);
    const second = p.send({ ...shared }, 8);
    await expect(first).rejects.toThrow('bad request');
    await expect(second).resolves.toMatchObject({ content: [{ text: 'ok' }] });
    expect(calls).toHaveLength(2);
  });

  it('lets the held requests go once the first one\'s first attempt ends, not after its retries', async () => {
    const clock = new FakeClock();
    const { client, calls } = scripted([() => new ModelError('500 api_error', 'transient', 500)], clock);
    const { p } = policy(client, clock);
    const shared: ModelRequest = { ...req(), sharedPrefix: 'p1' };
    const first = p.send(shared, 8);
    const second = p.send({ ...shared }, 8);
    await settle();
    expect(calls).toHaveLength(2); // the first attempt failed, the held request went at once
    expect(calls[1]).toBe(calls[0]);
    await clock.advance(1_000);
    await expect(first).resolves.toMatchObject({ content: [{ text: 'ok' }] });
    await expect(second).resolves.toMatchObject({ content: [{ text: 'ok' }] });
    expect(calls).toHaveLength(3);
  });

  it('lets the held requests go as soon as the first one\'s response has begun, before its answer is complete', async () => {
    const clock = new FakeClock();
    const sent: string[] = [];
    let finish!: () => void;
    const client: ModelClient = {
      create: (r) => {
        const name = String((r.messages[0].content[0] as { text: string }).text);
        sent.push(name);
        if (name !== 'a1') return Promise.resolve(ok());
        r.onResponseStart?.();
        return new Promise<ModelResponse>((resolve) => { finish = () => resolve(ok()); });
      },
    };
    const { p } = policy(client, clock);
    const named = (name: string): ModelRequest => ({ ...req(), messages: [{ role: 'user', content: [{ type: 'text', text: name }] }], sharedPrefix: 'p1' });
    const first = p.send(named('a1'), 8);
    const second = p.send(named('a2'), 8);
    await settle();
    expect(sent).toEqual(['a1', 'a2']);
    await expect(second).resolves.toMatchObject({ content: [{ text: 'ok' }] });
    finish();
    await first;
  });
});
