/**
 * The Summary webview's message protocol, shared by the extension host and the webview bundle.
 * Both sides validate what arrives with these schemas: the webview is a separate, less trusted
 * context, and the host's state comes from files a model wrote.
 */
import { z } from 'zod';

const runId = z.string().regex(/^[A-Za-z0-9._-]{1,80}$/, 'a run id such as 20250101-120000-abcd');
/** A path relative to the run directory; the host re-checks it is inside the run before opening. */
const runPath = z.string().min(1).max(500);
const count = z.number().int().nonnegative();

export const AgentViewSchema = z.object({
  id: z.string(),
  task: z.string(),
  tier: z.string(),
  model: z.string(),
  status: z.string(),
  outputFile: z.string(),
  /** The output file exists: only then does the view link to it. */
  written: z.boolean(),
  returned: z.string().nullable(),
  error: z.string().nullable(),
});
export type AgentView = z.infer<typeof AgentViewSchema>;

export const DomainViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  done: count,
  total: count,
  workers: z.array(AgentViewSchema),
  coordinator: AgentViewSchema.nullable(),
});
export type DomainView = z.infer<typeof DomainViewSchema>;

export const UsageViewSchema = z.object({ input: count, output: count, cacheRead: count, cacheWrite: count });

export const TotalsViewSchema = z.object({
  agentsByStatus: z.record(z.string(), count),
  usage: UsageViewSchema,
  costUsd: z.number().nonnegative(),
  costByModel: z.record(z.string(), z.number().nonnegative()),
  parentContextTokens: count,
  flatBaselineTokens: count,
  wallMs: count,
});
export type TotalsView = z.infer<typeof TotalsViewSchema>;

export const RunViewSchema = z.object({
  runId,
  task: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  /** A simulated run spent nothing: its costs are what the same tokens would cost, and say so. */
  simulated: z.boolean(),
  planSummary: z.string(),
  estimate: z.object({
    tokensLow: count, tokensHigh: count, costLowUsd: z.number().nonnegative(), costHighUsd: z.number().nonnegative(),
  }).nullable(),
  actions: z.object({ approve: z.boolean(), decline: z.boolean(), cancel: z.boolean(), resume: z.boolean(), retry: z.boolean() }),
  domains: z.array(DomainViewSchema),
  final: AgentViewSchema.nullable(),
  /** The text of summary.md once the final synthesis wrote it (capped by the host). */
  finalSummary: z.string().nullable(),
  totals: TotalsViewSchema,
  gaps: z.array(z.object({ agentId: z.string(), outputFile: z.string(), written: z.boolean(), reason: z.string() })),
});
export type RunView = z.infer<typeof RunViewSchema>;

/** Host → webview. */
export const HostMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), run: RunViewSchema.nullable() }).strict(),
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;

/** Webview → host. */
export const WebviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }).strict(),
  z.object({ type: z.literal('approve'), runId }).strict(),
  z.object({ type: z.literal('decline'), runId }).strict(),
  z.object({ type: z.literal('cancel'), runId }).strict(),
  z.object({ type: z.literal('resume'), runId }).strict(),
  z.object({ type: z.literal('retryFailed'), runId }).strict(),
  z.object({ type: z.literal('openFile'), runId, path: runPath }).strict(),
]);
export type WebviewMessage = z.infer<typeof WebviewMessageSchema>;

/** One handler per message type: adding a message without a handler is a type error. */
export type HandlerMap<M extends { type: string }> = {
  [K in M['type']]: (msg: Extract<M, { type: K }>) => void | Promise<void>;
};

export type Dispatch = { ok: true } | { ok: false; error: string };

/**
 * Validates `raw` against `schema` and calls the handler for its type. Invalid messages are
 * reported, never thrown, so a bad message cannot break the channel.
 */
export async function dispatch<M extends { type: string }>(
  schema: z.ZodType<M>,
  handlers: HandlerMap<M>,
  raw: unknown,
): Promise<Dispatch> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`);
    return { ok: false, error: `Rejected message: ${issues.join('; ')}` };
  }
  const msg = parsed.data;
  const handler = handlers[msg.type as M['type']] as (m: M) => void | Promise<void>;
  await handler(msg);
  return { ok: true };
}
