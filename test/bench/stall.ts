/**
 * Measure T1: a stream that goes silent, from the stall to the first byte of its retry. The real
 * request path (RequestPolicy over the Anthropic client and the SDK) against the simulated server:
 * the first request of each trial sends its headers (and, in half the trials, two events), then
 * nothing; full GCs run while it is silent, since a collection is what used to leave a stalled
 * connection open with no retry. The retry's first byte is its first text delta at the client.
 *
 * A 2 s idle timeout keeps the bench short; the target is the issue's: idle timeout + 5 s.
 */
import { parseConfig } from '../../src/engine/config';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { RequestPolicy, realClock } from '../../src/engine/model/requests';
import { startMessagesServer } from '../../src/simulator/server';
import { fixed, ms, type MeasureResult } from './result';

const IDLE_MS = 2_000;
const TARGET_MS = IDLE_MS + 5_000;
/** Trials alternate a stall right after the headers and one after two events. */
const TRIALS = 4;
/** A trial with no retry by then counts as never retried (a stall left open), so the bench still ends. */
const GIVE_UP_MS = 30_000;

/** A full GC where the bench runs with --expose-gc (npm run bench does); a no-op elsewhere. */
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);

interface Trial {
  afterEvents: number;
  /** Stall → the retry's first text delta at the client; null when none came within GIVE_UP_MS. */
  delayMs: number | null;
  /** Stall → the server hears the stalled connection close; null while it is open. */
  closedMs: number | null;
  gcs: number;
}

async function trial(afterEvents: number): Promise<Trial> {
  let stalledAt = 0;
  let closedAt = 0;
  let gcs = 0;
  const server = await startMessagesServer({
    handler: (_req, ctx) => {
      if (ctx.index > 1) return { kind: 'message', content: [{ type: 'text', text: 'answered on the retry' }] };
      stalledAt = Date.now();
      const timer = setInterval(() => { gc(); gcs++; }, 200);
      ctx.signal.addEventListener('abort', () => { closedAt = Date.now(); clearInterval(timer); }, { once: true });
      return { kind: 'stall', afterEvents };
    },
  });
  try {
    const config = parseConfig({ streamIdleTimeoutMs: IDLE_MS });
    const policy = new RequestPolicy(new AnthropicModelClient({ apiKey: 'bench', baseUrl: server.url }), config, realClock, { onTerminal: () => undefined });
    let firstByteAt = 0;
    const giveUp = new AbortController();
    const sent = policy.send({
      model: 'claude-haiku-5-5', maxTokens: 1_024, signal: giveUp.signal, timeoutMs: 10_000,
      system: [{ type: 'text', text: 'Bench.' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'Say something.' }] }],
      onText: () => { firstByteAt ||= Date.now(); },
    }, 4).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([sent, new Promise<void>((resolve) => { timer = setTimeout(resolve, GIVE_UP_MS); })]);
    clearTimeout(timer);
    giveUp.abort();
    return { afterEvents, delayMs: firstByteAt ? firstByteAt - stalledAt : null, closedMs: closedAt ? closedAt - stalledAt : null, gcs };
  } finally {
    await server.close();
  }
}

export async function measureStall(): Promise<MeasureResult> {
  const trials: Trial[] = [];
  for (let i = 0; i < TRIALS; i++) trials.push(await trial(i % 2 === 0 ? 0 : 2));
  const retried = trials.every((t) => t.delayMs !== null && t.closedMs !== null);
  const worst = Math.max(...trials.map((t) => t.delayMs ?? Infinity));
  const where = (t: Trial): string => (t.afterEvents === 0 ? 'after the headers' : `after ${t.afterEvents} events`);
  const line = (t: Trial): string => `stall ${where(t)}: `
    + (t.closedMs === null ? `connection still open after ${ms(GIVE_UP_MS)}` : `connection closed ${ms(t.closedMs)} after the stall`)
    + (t.delayMs === null ? ', no retry' : `, retry's first byte at ${ms(t.delayMs)} (backoff included)`)
    + `, ${t.gcs} full GCs meanwhile`;
  return {
    rows: [{
      n: 'T1', measure: `a stalled stream, from the stall to the retry's first byte (idle timeout ${fixed(IDLE_MS / 1000, 0)} s, full GCs during the stall; worst of ${TRIALS})`,
      value: retried ? ms(worst) : `no retry within ${ms(GIVE_UP_MS)}`, before: '—', target: `≤ ${ms(TARGET_MS)} (idle timeout + 5 s)`, ok: retried && worst <= TARGET_MS,
    }],
    raw: trials.map(line),
  };
}
