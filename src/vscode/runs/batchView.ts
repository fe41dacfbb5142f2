/**
 * Batch mode as the views say it: which Message Batch an agent waits in, how far a run's batches
 * have come, and their counts in words. No vscode import: the tree, the status bar, the dashboard
 * and the plan tables all read these, and the unit tests check the text itself.
 */
import type { AgentRecord, BatchRecord, LedgerSnapshot } from '../../engine';

export type BatchCounts = BatchRecord['counts'];

/** Batches whose results are not collected yet: still processing, being cancelled, or ended and waiting to be read. */
export function isUncollected(b: BatchRecord): boolean {
  return b.status !== 'collected';
}

/** Requests in a batch, from its counts (what the API last said) or, before any, its request list. */
export function batchTotal(b: BatchRecord): number {
  const c = b.counts;
  const n = c.processing + c.succeeded + c.errored + c.canceled + c.expired;
  return n > 0 ? n : b.requests.length;
}

/** Requests the batch has answered one way or another (everything no longer processing). */
export function batchAnswered(b: BatchRecord): number {
  return batchTotal(b) - b.counts.processing;
}

const COUNT_ORDER = ['processing', 'succeeded', 'errored', 'expired', 'canceled'] as const;

/** "279 processing, 20 succeeded, 1 errored": the counts that are not zero, in the order a user reads them. */
export function countsText(c: BatchCounts): string {
  return COUNT_ORDER.filter((k) => c[k] > 0).map((k) => `${c[k]} ${k}`).join(', ');
}

/**
 * `msgbatch_…DV8d`: the id's kind and its last characters, enough to tell a run's batches apart
 * in a narrow row. The tooltip and the dashboard give the whole id.
 */
export function shortBatchId(id: string): string {
  if (id.length <= 16) return id;
  const cut = id.indexOf('_');
  const head = cut > 0 && cut < 12 ? id.slice(0, cut + 1) : id.slice(0, 6);
  return `${head}…${id.slice(-4)}`;
}

/** The batch word of a batch not yet collected. */
export function batchStateWord(b: BatchRecord): string {
  return b.status === 'canceling' ? 'canceling' : b.status === 'ended' ? 'collecting' : b.status === 'collected' ? 'collected' : 'processing';
}

interface Index { records: readonly BatchRecord[]; byAgent: Map<string, BatchRecord> }
/** One index per ledger's batch list, rebuilt only when a record in it was replaced (the ledger replaces a record when it moves on). */
const indexes = new WeakMap<readonly BatchRecord[], Index>();

/**
 * The newest batch holding one of the agent's requests (a request sent again goes into a later
 * batch), or undefined. Indexed once per change of the run's batches: a tree of 5,000 agents
 * asks this for every row.
 */
export function batchOfAgent(s: Pick<LedgerSnapshot, 'batches'>, agentId: string): BatchRecord | undefined {
  const list = s.batches;
  if (!list?.length) return undefined;
  let idx = indexes.get(list);
  if (!idx || idx.records.length !== list.length || idx.records.some((b, i) => b !== list[i])) {
    const byAgent = new Map<string, BatchRecord>();
    for (const b of list) for (const r of b.requests) byAgent.set(r.agentId, b);
    idx = { records: [...list], byAgent };
    indexes.set(list, idx);
  }
  return idx.byAgent.get(agentId);
}

/** How an agent stands with batch mode: waiting in a batch, planned for one not yet submitted, or neither. */
export type AgentBatchState =
  | { kind: 'waiting'; batch: BatchRecord }
  | { kind: 'planned' }
  | { kind: 'batched'; batch: BatchRecord | undefined }
  | { kind: 'none' };

const SETTLED = new Set(['completed', 'failed', 'cancelled', 'skipped']);

export function agentBatchState(a: AgentRecord, s: Pick<LedgerSnapshot, 'batches'>): AgentBatchState {
  const b = batchOfAgent(s, a.id);
  if (!SETTLED.has(a.status)) {
    if (b && isUncollected(b)) return { kind: 'waiting', batch: b };
    // A request that came back errored waits for its next batch: planned again, not lost.
    if (a.batch) return { kind: 'planned' };
    return { kind: 'none' };
  }
  return a.batch || b ? { kind: 'batched', batch: b } : { kind: 'none' };
}

/** A run's batches not yet collected, and how many of their requests are answered. */
export interface BatchProgress {
  inFlight: BatchRecord[];
  answered: number;
  total: number;
}

export function batchProgress(s: Pick<LedgerSnapshot, 'batches'>): BatchProgress {
  const inFlight = (s.batches ?? []).filter(isUncollected);
  return {
    inFlight,
    answered: inFlight.reduce((n, b) => n + batchAnswered(b), 0),
    total: inFlight.reduce((n, b) => n + batchTotal(b), 0),
  };
}

/** "batch 120/300": the row and status-bar word for batches in flight, or '' with none. */
export function batchProgressText(p: BatchProgress): string {
  return p.inFlight.length ? `batch ${p.answered}/${p.total}` : '';
}
