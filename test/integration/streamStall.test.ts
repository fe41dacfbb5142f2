/**
 * Issue 16, item 9: a stalled stream ends, whatever the garbage collector has done. Each case
 * holds a stream open after its headers, runs full GCs while it is silent (which used to cut
 * fetch's link from the abort to the socket), and watches the server's side of the connection.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HandlerContext } from '../../src/simulator/types';
import { collectUntil } from './gc';
import { makeWorkspace, orchestrator, planReply, startFake, type Fake } from './harness';

let fake: Fake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** One stalled exchange as the server saw it. */
interface Stall {
  arrivedAt: number;
  /** When the client closed the connection; null while it is open. */
  closedAt: number | null;
}

/** Marks the exchange closed when the client hangs up, and collects garbage until then. */
function watchStall(ctx: HandlerContext): Stall {
  const stall: Stall = { arrivedAt: Date.now(), closedAt: null };
  ctx.signal.addEventListener('abort', () => { stall.closedAt = Date.now(); }, { once: true });
  collectUntil(ctx.signal);
  return stall;
}

/** A 3 × 3 plan whose worker a1 stalls on its first request (and answers after that). */
async function stallingRun(afterEvents: number, config: Parameters<typeof orchestrator>[1]) {
  const ws = makeWorkspace();
  const stalls: Stall[] = [];
  const a1Requests: number[] = [];
  fake = await startFake(ws, (_req, ctx, agent) => {
    if (agent === 'planner') return planReply(3, 3);
    if (agent !== 'a1') return undefined;
    a1Requests.push(Date.now());
    if (stalls.length > 0) return undefined;
    stalls.push(watchStall(ctx));
    return { kind: 'stall', afterEvents };
  });
  const run = await orchestrator(fake, config).plan({ task: 'Audit the shop' });
  return { run, stalls, a1Requests };
}

describe('a stream that stalls after a forced GC', () => {
  it.each([
    ['after the headers', 0, 'after the response headers'],
    ['after a few events', 2, 'after 2 events'],
  ])('%s: the idle timeout closes the socket and the retry completes the run', async (_label, afterEvents, where) => {
    const { run, stalls, a1Requests } = await stallingRun(afterEvents, { streamIdleTimeoutMs: 1_000, agentTimeoutMs: 120_000 });
    const outcome = run.execute();
    // The agent's own limit is 120 s: only the idle timeout can close this socket in time.
    await vi.waitFor(() => expect(stalls[0]?.closedAt, 'the stalled socket is still open').not.toBeNull(), { timeout: 20_000, interval: 50 });
    await vi.waitFor(() => expect(a1Requests.length, 'no retry arrived after the stall').toBeGreaterThanOrEqual(2), { timeout: 20_000, interval: 50 });
    expect((await outcome).status).toBe('completed');
    await run.ledger.close();

    expect(stalls).toHaveLength(1);
    expect(a1Requests[1]).toBeGreaterThanOrEqual(stalls[0].closedAt!);
    // Retried as a request inside the same attempt: a transient error, not a failed agent.
    expect(run.ledger.get('a1')).toMatchObject({ status: 'completed', attempts: 1 });
    expect(fake!.server.stats.requests.filter((r) => r.outcome === 'stall')).toHaveLength(1);
    expect(run.ledger.snapshot().agents.find((a) => a.id === 'a1')?.error ?? null).toBeNull();
    expect(readFileSync(path.join(run.dir, 'events.jsonl'), 'utf8')).toContain(`stream stalled: no event for 1000 ms ${where}`);
  }, 60_000);

  it('the agent timeout closes the socket, and the agent fails as timed out without a request retry', async () => {
    const { run, stalls, a1Requests } = await stallingRun(2, { streamIdleTimeoutMs: 600_000, agentTimeoutMs: 2_000, retries: 0 });
    const outcome = run.execute();
    await vi.waitFor(() => expect(stalls[0]?.closedAt, 'the stalled socket is still open').not.toBeNull(), { timeout: 20_000, interval: 50 });
    const done = await outcome;
    await run.ledger.close();

    expect(done.status).toBe('partial');
    expect(run.ledger.get('a1')).toMatchObject({ status: 'failed', error: 'timed out after 2 s' });
    expect(a1Requests).toHaveLength(1);
    expect(run.ledger.get('a2')?.status).toBe('completed');
  }, 60_000);

  it('a cancel closes the socket at once and the run ends cancelled', async () => {
    const { run, stalls, a1Requests } = await stallingRun(2, { streamIdleTimeoutMs: 600_000, agentTimeoutMs: 600_000 });
    const outcome = run.execute();
    await vi.waitFor(() => expect(stalls).toHaveLength(1), { timeout: 20_000, interval: 20 });
    // Long enough for the client to have the headers and for several full GCs to run.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(stalls[0].closedAt).toBeNull();
    const cancelledAt = Date.now();
    run.cancel();
    await vi.waitFor(() => expect(stalls[0].closedAt, 'the stalled socket is still open').not.toBeNull(), { timeout: 10_000, interval: 20 });
    const done = await outcome;
    await run.ledger.close();

    expect(done.status).toBe('cancelled');
    expect(run.ledger.get('a1')?.status).toBe('cancelled');
    expect(a1Requests).toHaveLength(1);
    // "Within a second" in the design; generous here for a loaded machine.
    expect(stalls[0].closedAt! - cancelledAt).toBeLessThan(5_000);
  }, 60_000);
});
