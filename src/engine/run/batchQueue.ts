/**
 * Batch mode's transport: single-turn requests of batchable agents wait here, go to the Message
 * Batches API together, and come back one by one as the results file streams in. Every batch id
 * is in the ledger (and events.jsonl) before anything else happens with it, and every succeeded
 * result is on disk (batches/<id>.jsonl) before an agent sees it, so neither a crash nor a cancel
 * loses a finished result or pays for one twice.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BATCH_PRICE_FACTOR, type Config } from '../config';
import { BatchRecordShape } from '../ledger/batchRecord';
import type { Ledger } from '../ledger/ledger';
import { ModelError, type BatchClient, type BatchItem, type BatchResult, type BatchState, type ModelRequest, type ModelResponse } from '../model/client';
import { redactDeep } from '../redact';
import type { BatchOutcome, BatchRecord, Clock, Usage } from '../types';

/** The run folder's subfolder of results files. */
export const BATCH_RESULTS_DIR = 'batches';
/** Batches one request may go through (errored, expired, cancelled outside) before it goes realtime. */
const MAX_BATCH_ROUNDS = 3;
/** Reads of a results file cut short before the requests it did not reach are sent again. */
const MAX_RESULT_READS = 3;
/** How long a cancelled batch is polled for what had finished before the run ends without it. */
const CANCEL_WAIT_MS = 60_000;
const OUTSIDE = 'cancelled outside this run';
const USER_CANCEL = 'cancelled by the user (Cancel Run)';
/** One line of batches/<id>.jsonl: a succeeded answer, kept for a resume. */
interface StoredResult { customId: string; agentId: string; response: ModelResponse }

/** An agent's request waiting for its answer. */
interface Waiter {
  agentId: string;
  request: ModelRequest;
  rounds: number;
  realtime: () => Promise<ModelResponse>;
  resolve: (res: ModelResponse) => void;
  reject: (err: unknown) => void;
}

export interface BatchQueueDeps {
  client: BatchClient;
  ledger: Ledger;
  runDir: string;
  config: Config;
  clock: Clock;
  /** The run's signal: when it aborts (Cancel Run), open batches are cancelled and what finished is recorded. */
  runSignal: AbortSignal;
  /** A response's realtime price (the queue applies the batch rate). */
  price(model: string, usage: Usage): number;
}

export class BatchQueue {
  private gathered: Waiter[] = [];
  private gatherTimer: Promise<void> | null = null;
  /** Submitted requests without their answer yet, by custom id. */
  private readonly waiting = new Map<string, Waiter>();
  /** Succeeded answers on disk no agent has taken yet (a resume's), by agent. */
  private readonly stored = new Map<string, StoredResult>();
  private readonly polls = new Set<Promise<void>>();
  /** The records being polled, by id: Cancel Run marks these, so a poller never writes back a stale copy. */
  private readonly live = new Map<string, BatchRecord>();
  /** Stops polling when the run ends (not on Cancel Run, which must still collect). */
  private readonly closing = new AbortController();
  private cancelled = false;
  private readonly cancelAsked = new Set<string>();

  constructor(private readonly deps: BatchQueueDeps) {
    const onAbort = (): void => { void this.cancelAll(); };
    if (deps.runSignal.aborted) this.cancelled = true;
    else deps.runSignal.addEventListener('abort', onAbort, { once: true });
  }

  /**
   * Picks up what an earlier process left: succeeded answers on disk for agents that have not taken
   * them, and batches not yet collected, which are polled again (never submitted again).
   */
  async open(): Promise<void> {
    const batches: BatchRecord[] = [];
    for (const raw of this.deps.ledger.batches) {
      const b = BatchRecordShape.safeParse(raw);
      if (b.success) batches.push(b.data);
      else this.deps.ledger.log('warn', `batch record ${String((raw as { id?: unknown }).id)} in the ledger is malformed and was ignored: ${b.error.issues[0]?.message ?? ''}`);
    }
    for (const b of batches) {
      for (const r of await this.readStored(b.id)) {
        const agent = this.deps.ledger.get(r.agentId);
        if (agent && agent.status !== 'completed') this.stored.set(r.agentId, r);
      }
      if (b.status !== 'collected') this.track(this.poll(b));
    }
  }

  /** The agent has an answer on disk or a request in a batch not yet collected: it must come through here. */
  holds(agentId: string): boolean {
    return this.stored.has(agentId) || this.openRequestOf(agentId) !== null;
  }

  /**
   * The answer to an agent's single-turn request through a batch: one already on disk, one a
   * submitted batch will bring, or one from a new batch. `realtime` is the same request on the
   * realtime path, for requests the batches could not answer (the `batchRetry` setting).
   */
  send(agentId: string, request: ModelRequest, realtime: () => Promise<ModelResponse>): Promise<ModelResponse> {
    request.signal.throwIfAborted();
    const kept = this.stored.get(agentId);
    if (kept) {
      this.stored.delete(agentId);
      return Promise.resolve({ ...kept.response, batched: true, accounted: true });
    }
    return new Promise<ModelResponse>((resolve, reject) => {
      const w: Waiter = { agentId, request, rounds: 0, realtime, resolve, reject };
      const onAbort = (): void => {
        for (const [id, x] of this.waiting) if (x === w) this.waiting.delete(id);
        this.gathered = this.gathered.filter((x) => x !== w);
        reject(new ModelError('request aborted', 'aborted'));
      };
      request.signal.addEventListener('abort', onAbort, { once: true });
      const settle = <T>(fn: (v: T) => void) => (v: T): void => { request.signal.removeEventListener('abort', onAbort); fn(v); };
      w.resolve = settle(resolve);
      w.reject = settle(reject);
      // A request a batch from an earlier process already holds waits for that batch.
      const open = this.openRequestOf(agentId);
      if (open) this.waiting.set(open, w);
      else this.gather(w);
    });
  }

  /** Ends the run's part: after Cancel Run, waits (bounded) for cancelled batches to be collected; otherwise stops polling. */
  async close(): Promise<void> {
    if (!this.cancelled) this.closing.abort();
    await Promise.allSettled([...this.polls]);
  }

  private openRequestOf(agentId: string): string | null {
    for (const b of this.deps.ledger.batches) {
      if (b.status === 'collected') continue;
      for (let i = b.requests.length - 1; i >= 0; i--) {
        const r = b.requests[i];
        if (r.agentId === agentId) {
          if (!this.waiting.has(r.customId)) return r.customId;
          break;
        }
      }
    }
    return null;
  }

  private gather(w: Waiter): void {
    this.gathered.push(w);
    if (this.gatherTimer) return;
    // Agents made ready together reach here within a few ms of each other: one batch for all of them.
    this.gatherTimer = this.deps.clock.sleep(this.deps.config.batchGatherMs).then(() => {
      this.gatherTimer = null;
      for (const chunk of chunks(this.gathered.splice(0))) this.track(this.submit(chunk));
    });
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => this.deps.ledger.log('error', `batch mode: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => this.polls.delete(tracked));
    this.polls.add(tracked);
  }

  /** `<agentId>__<n>`, n one more than any this agent had in any batch of the run. */
  private customIdFor(agentId: string, taken: Set<string>): string {
    const safe = agentId.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 50);
    let n = 1;
    for (const b of this.deps.ledger.batches) for (const r of b.requests) if (r.agentId === agentId) n++;
    while (taken.has(`${safe}__${n}`)) n++;
    return `${safe}__${n}`;
  }

  private async submit(list: Waiter[]): Promise<void> {
    if (this.cancelled) {
      for (const w of list) w.reject(new ModelError('run cancelled', 'aborted'));
      return;
    }
    const taken = new Set<string>();
    const items: BatchItem[] = list.map((w) => {
      const customId = this.customIdFor(w.agentId, taken);
      taken.add(customId);
      const { signal: _s, timeoutMs: _t, idleTimeoutMs: _i, onText: _o, ...request } = w.request;
      return { customId, request };
    });
    let state: BatchState;
    try {
      state = await this.createWithBackoff(items);
    } catch (err) {
      if (this.cancelled) { for (const w of list) w.reject(new ModelError('run cancelled', 'aborted')); return; }
      // Nothing was created, so nothing is paid twice: the requests go on the realtime path rather than fail.
      this.deps.ledger.log('warn', `batch of ${items.length} ${items.length === 1 ? 'request' : 'requests'} not created (${err instanceof Error ? err.message : String(err)}); they go on the realtime path`);
      for (const w of list) w.realtime().then(w.resolve, w.reject);
      return;
    }
    const record: BatchRecord = {
      id: state.id, submittedAt: state.createdAt, status: state.status, counts: state.counts, notes: [],
      requests: items.map((it, i) => ({ customId: it.customId, agentId: list[i].agentId })),
    };
    items.forEach((it, i) => this.waiting.set(it.customId, list[i]));
    // Live before the first await: a Cancel Run from here on finds it.
    this.live.set(record.id, record);
    await this.deps.ledger.recordBatch(record);
    this.deps.ledger.log('info', `batch ${state.id} submitted with ${items.length} ${items.length === 1 ? 'request' : 'requests'}`);
    await this.poll(record);
  }

  /** A 429 (or another transient failure) on create is retried with backoff; nothing was created. */
  private async createWithBackoff(items: BatchItem[]): Promise<BatchState> {
    const { transientRetries, retryBaseMs, maxRetryAfterMs } = this.deps.config;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.deps.client.create(items, this.closing.signal);
      } catch (err) {
        const e = err instanceof ModelError ? err : new ModelError(String(err), 'transient');
        if (e.kind !== 'transient' || attempt >= transientRetries || this.cancelled) throw e;
        const wait = Math.min(e.retryAfterMs ?? retryBaseMs * 2 ** attempt, maxRetryAfterMs);
        this.deps.ledger.log('warn', `batch create refused (${e.message}); retry ${attempt + 1} in ${Math.round(wait)} ms`);
        await this.deps.clock.sleep(wait, this.closing.signal);
      }
    }
  }

  /** Polls with backoff until the batch ends, then collects it. */
  private async poll(record: BatchRecord): Promise<void> {
    this.live.set(record.id, record);
    try {
      await this.pollUntilEnded(record);
    } catch (err) {
      await this.pollFailed(record, err);
    } finally {
      this.live.delete(record.id);
    }
  }

  /**
   * A batch that can no longer be polled must not leave its agents waiting for good. Gone from the
   * API (404: deleted, or its results aged out) means nothing more can be paid for it: its
   * requests are sent again. Any other refusal (a revoked key, a 403) ends its agents with that
   * error, and the record stays open so a resume with a working key collects it, never resubmits.
   */
  private async pollFailed(record: BatchRecord, err: unknown): Promise<void> {
    const why = err instanceof Error ? err.message : String(err);
    if (err instanceof ModelError && err.status === 404) {
      record.notes.push(`not found by the API (${why}); its requests are sent again`);
      const outcomes: Record<string, BatchOutcome> = {};
      for (const r of record.requests) {
        outcomes[r.customId] = 'missing';
        await this.take(record, r.agentId, { customId: r.customId, kind: 'errored', error: 'batch not found' });
      }
      record.outcomes = outcomes;
      record.status = 'collected';
      await this.deps.ledger.recordBatch(record);
      return;
    }
    record.notes.push(`polling stopped: ${why}; a resume polls it again`);
    await this.deps.ledger.recordBatch(record);
    for (const r of record.requests) {
      const w = this.waiting.get(r.customId);
      this.waiting.delete(r.customId);
      w?.reject(err);
    }
  }

  private async pollUntilEnded(record: BatchRecord): Promise<void> {
    let delay = this.deps.config.batchPollMs;
    let deadline = this.cancelled ? this.deps.clock.now() + CANCEL_WAIT_MS : Infinity;
    for (;;) {
      const signal = this.closing.signal;
      if (signal.aborted) return;
      if (this.cancelled) await this.cancelOne(record);
      const state = await this.retrieve(record.id, signal);
      if (state) {
        const moved = state.status !== record.status || JSON.stringify(state.counts) !== JSON.stringify(record.counts);
        if (state.status === 'canceling' && record.status === 'in_progress' && !this.cancelled) record.notes.push(OUTSIDE);
        record.status = state.status;
        record.counts = state.counts;
        if (state.status === 'ended') return this.collect(record);
        if (moved) await this.deps.ledger.recordBatch(record);
      }
      if (this.cancelled && deadline === Infinity) deadline = this.deps.clock.now() + CANCEL_WAIT_MS;
      if (this.deps.clock.now() >= deadline) {
        this.deps.ledger.log('warn', `batch ${record.id} had not ended ${CANCEL_WAIT_MS / 1000} s after the cancel; resume collects what it finished`);
        return;
      }
      await this.deps.clock.sleep(delay, signal).catch(() => undefined);
      delay = Math.min(delay * 2, this.deps.config.batchPollMaxMs);
    }
  }

  private async retrieve(id: string, signal: AbortSignal): Promise<BatchState | null> {
    try {
      return await this.deps.client.retrieve(id, signal);
    } catch (err) {
      if (err instanceof ModelError && err.kind !== 'transient') throw err;
      return null;
    }
  }

  /**
   * Reads the results file, storing then delivering each answer. A file cut short is read again
   * (the lines already taken are skipped); requests it never reached count as `missing` and are
   * sent again like errored ones. A custom id no request of the batch has is named and ignored.
   */
  private async collect(record: BatchRecord): Promise<void> {
    const owners = new Map(record.requests.map((r) => [r.customId, r.agentId]));
    const outcomes: Record<string, BatchOutcome> = {};
    for (let read = 1; read <= MAX_RESULT_READS && Object.keys(outcomes).length < owners.size; read++) {
      try {
        for await (const line of this.deps.client.results(record.id, this.closing.signal)) {
          if (outcomes[line.customId]) continue;
          const agentId = owners.get(line.customId);
          if (agentId === undefined) {
            const note = `custom_id ${JSON.stringify(line.customId.slice(0, 80))} matches no request of the batch; ignored`;
            if (!record.notes.includes(note)) { record.notes.push(note); this.deps.ledger.log('warn', `batch ${record.id}: ${note}`); }
            continue;
          }
          outcomes[line.customId] = line.kind;
          await this.take(record, agentId, line);
        }
      } catch (err) {
        if (this.closing.signal.aborted) return;
        const note = `results read ${read}: ${err instanceof Error ? err.message : String(err)}`;
        record.notes.push(note);
        this.deps.ledger.log('warn', `batch ${record.id}: ${note}`);
        if (!(err instanceof ModelError && err.kind === 'transient')) break;
      }
    }
    for (const [customId, agentId] of owners) {
      if (outcomes[customId]) continue;
      outcomes[customId] = 'missing';
      await this.take(record, agentId, { customId, kind: 'errored', error: 'no line for it in the results file' });
    }
    if (!this.cancelled && Object.values(outcomes).includes('canceled') && !record.notes.includes(OUTSIDE)) record.notes.push(OUTSIDE);
    const lost = Object.values(outcomes).filter((o) => o !== 'succeeded').length;
    if (lost) record.notes.push(`${lost} of ${owners.size} requests did not succeed (${summarise(outcomes)}); ${this.cancelled ? 'the run was cancelled' : `sent again ${this.deps.config.batchRetry === 'realtime' ? 'on the realtime path' : 'in a later batch'}`}`);
    record.outcomes = outcomes;
    record.status = 'collected';
    await this.deps.ledger.recordBatch(record);
  }

  /** One result: stored when it succeeded, then handed to its waiter, or sent again when it did not. */
  private async take(record: BatchRecord, agentId: string, line: BatchResult): Promise<void> {
    const w = this.waiting.get(line.customId);
    this.waiting.delete(line.customId);
    if (line.kind === 'succeeded') {
      const response: ModelResponse = { ...line.response, content: redactDeep(line.response.content).value };
      await this.store(record.id, { customId: line.customId, agentId, response });
      // Paid now, whoever takes it: recorded once, here, with or without an agent waiting.
      if (this.deps.ledger.get(agentId)) this.deps.ledger.addUsage(agentId, response.model, response.usage, this.deps.price(response.model, response.usage) * BATCH_PRICE_FACTOR);
      if (w) w.resolve({ ...response, batched: true, accounted: true });
      else if (this.deps.ledger.get(agentId)?.status !== 'completed') this.stored.set(agentId, { customId: line.customId, agentId, response });
      return;
    }
    if (!w) return;
    const why = line.kind === 'errored' ? line.error : line.kind;
    if (this.cancelled) { w.reject(new ModelError(`batch ${record.id}: ${why} (run cancelled)`, 'aborted')); return; }
    w.rounds++;
    if (this.deps.config.batchRetry === 'realtime' || w.rounds >= MAX_BATCH_ROUNDS) {
      w.realtime().then(w.resolve, w.reject);
    } else {
      this.gather(w);
    }
  }

  private async store(batchId: string, r: StoredResult): Promise<void> {
    const dir = path.join(this.deps.runDir, BATCH_RESULTS_DIR);
    await fs.mkdir(dir, { recursive: true });
    await fs.appendFile(path.join(dir, `${batchId}.jsonl`), `${JSON.stringify(r)}\n`);
  }

  private async readStored(batchId: string): Promise<StoredResult[]> {
    const text = await fs.readFile(path.join(this.deps.runDir, BATCH_RESULTS_DIR, `${batchId}.jsonl`), 'utf8').catch(() => '');
    const out: StoredResult[] = [];
    for (const line of text.split('\n')) {
      try {
        const r = JSON.parse(line) as StoredResult;
        if (typeof r.agentId === 'string' && Array.isArray(r.response?.content)) out.push(r);
      } catch {
        // A line torn by a crash mid-append: that request is collected again from the batch.
      }
    }
    return out;
  }

  /** Cancel Run: nothing more is submitted, open batches are cancelled, and polling goes on to record what had finished. */
  private async cancelAll(): Promise<void> {
    this.cancelled = true;
    for (const w of this.gathered.splice(0)) w.reject(new ModelError('run cancelled', 'aborted'));
    for (const record of [...this.live.values()]) await this.cancelOne(record);
  }

  /** Asks the API once to cancel a batch still in progress (a poller that started after Cancel Run asks too). */
  private async cancelOne(record: BatchRecord): Promise<void> {
    if (record.status !== 'in_progress' || this.cancelAsked.has(record.id)) return;
    this.cancelAsked.add(record.id);
    try {
      await this.deps.client.cancel(record.id, this.closing.signal);
      record.status = 'canceling';
      record.notes.push(USER_CANCEL);
      await this.deps.ledger.recordBatch(record);
    } catch (err) {
      this.deps.ledger.log('warn', `batch ${record.id} could not be cancelled: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** The API's limits per batch: 100,000 requests and 256 MB; a batch is cut well inside both. */
const MAX_BATCH_REQUESTS = 100_000;
const MAX_BATCH_CHARS = 200_000_000;

/** Gathered requests cut into batches the API accepts. */
function chunks(list: Waiter[]): Waiter[][] {
  const out: Waiter[][] = [];
  let cur: Waiter[] = [];
  let chars = 0;
  for (const w of list) {
    const size = JSON.stringify(w.request.messages).length + JSON.stringify(w.request.system).length;
    if (cur.length && (cur.length >= MAX_BATCH_REQUESTS || chars + size > MAX_BATCH_CHARS)) { out.push(cur); cur = []; chars = 0; }
    cur.push(w);
    chars += size;
  }
  if (cur.length) out.push(cur);
  return out;
}

function summarise(outcomes: Record<string, BatchOutcome>): string {
  const n = new Map<string, number>();
  for (const o of Object.values(outcomes)) if (o !== 'succeeded') n.set(o, (n.get(o) ?? 0) + 1);
  return [...n].map(([k, v]) => `${v} ${k}`).join(', ');
}
