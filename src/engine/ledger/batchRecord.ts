/**
 * A Message Batch record as read back from a ledger. Untrusted: a workspace can ship a run folder,
 * so the engine (resuming its batches) and the views (showing them) read only records of this shape.
 */
import { z } from 'zod';

/** The API's custom_id: letters, digits, `_` and `-`, at most 64. */
export const CUSTOM_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A batch record as read back from a ledger (untrusted: a workspace can ship one). */
export const BatchRecordShape = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/),
  submittedAt: z.string(),
  requests: z.array(z.object({ customId: z.string().regex(CUSTOM_ID), agentId: z.string() })),
  status: z.enum(['in_progress', 'canceling', 'ended', 'collected']),
  counts: z.object({ processing: z.number(), succeeded: z.number(), errored: z.number(), canceled: z.number(), expired: z.number() }),
  outcomes: z.record(z.string(), z.enum(['succeeded', 'errored', 'canceled', 'expired', 'missing'])).optional(),
  notes: z.array(z.string()),
});


/**
 * The snapshot with only its well-formed batch records: what the views and `status` list. The
 * engine's resume reads the ledger itself, and names each record it ignores (BatchQueue.open).
 */
export function withValidBatches<S extends { batches?: unknown }>(snap: S): S {
  if (snap.batches === undefined) return snap;
  const list: unknown[] = Array.isArray(snap.batches) ? snap.batches : [];
  return { ...snap, batches: list.filter((b) => BatchRecordShape.safeParse(b).success) };
}
