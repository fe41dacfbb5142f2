/**
 * The agent view's messages (host ↔ webview), validated with zod on both sides. The host sends the
 * whole transcript once (`reset`: when the page loads or the file is read again) and from then on
 * only what is new (`append`: a batch of entries, text deltas already merged), so a streaming agent
 * never costs a re-send of its whole conversation.
 */
import { z } from 'zod';
import { AgentIdSchema } from './dashboardProtocol';
import { RunIdSchema, UsageViewSchema } from './protocol';

const count = z.number().int().nonnegative();
const text = z.string().max(40_000);
const base = { t: z.string().max(40), attempt: count };

/** One transcript entry as the view shows it: the engine's entry with tool input as text and every string bounded. */
export const EntryViewSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('attempt'), model: z.string(), prompt: text, promptBytes: count, instruction: text.nullable() }).strict(),
  z.object({ ...base, type: z.literal('request'), turn: count, model: z.string() }).strict(),
  z.object({ ...base, type: z.literal('text'), text }).strict(),
  z.object({ ...base, type: z.literal('text_delta'), text }).strict(),
  z.object({ ...base, type: z.literal('tool_call'), id: z.string().max(200), name: z.string().max(200), input: text }).strict(),
  z.object({ ...base, type: z.literal('tool_result'), id: z.string().max(200), ok: z.boolean(), excerpt: text, bytes: count }).strict(),
  z.object({ ...base, type: z.literal('usage'), usage: UsageViewSchema, costUsd: z.number().nonnegative(), stopReason: z.string().nullable(), model: z.string() }).strict(),
  z.object({ ...base, type: z.literal('error'), message: text, transient: z.boolean() }).strict(),
  z.object({ ...base, type: z.literal('retry'), n: count, waitMs: z.number().nonnegative(), reason: text }).strict(),
  z.object({ ...base, type: z.literal('ask'), question: text }).strict(),
  z.object({ ...base, type: z.literal('answer'), text, file: z.string().max(500) }).strict(),
  z.object({ ...base, type: z.literal('truncated'), droppedBytes: count, droppedEntries: count }).strict(),
]);
export type EntryView = z.infer<typeof EntryViewSchema>;

/** Who the agent is and where it stands: the header of its view. */
export const AgentHeaderSchema = z.object({
  runId: RunIdSchema,
  runTask: z.string(),
  runStatus: z.string(),
  id: AgentIdSchema,
  role: z.string(),
  group: z.string().nullable(),
  task: z.string(),
  scope: z.array(z.string()),
  tier: z.string(),
  modelRequested: z.string(),
  modelReported: z.string().nullable(),
  status: z.string(),
  attempts: count,
  requests: count,
  toolCalls: count,
  usage: UsageViewSchema,
  costUsd: z.number().nonnegative(),
  simulated: z.boolean(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  outputFile: z.string(),
  returned: z.string().nullable(),
  error: z.string().nullable(),
  /** The commands that apply now (the buttons). */
  actions: z.object({ stop: z.boolean(), rerun: z.boolean(), ask: z.boolean(), openOutput: z.boolean() }).strict(),
  /** Entries are arriving: the agent works, and this window runs it or follows the process that does. */
  live: z.boolean(),
}).strict();
export type AgentHeader = z.infer<typeof AgentHeaderSchema>;

/** Host → webview. */
export const AgentHostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('reset'), header: AgentHeaderSchema, entries: z.array(EntryViewSchema),
    /** What of the transcript file could not be read (a torn or corrupt line), shown above the rest. */
    problem: z.string().max(2000).nullable(),
    loading: z.boolean(),
  }).strict(),
  z.object({ type: z.literal('append'), header: AgentHeaderSchema.nullable(), entries: z.array(EntryViewSchema) }).strict(),
  z.object({ type: z.literal('gone'), note: z.string().max(500) }).strict(),
]);
export type AgentHostMessage = z.infer<typeof AgentHostMessageSchema>;

/** Webview → host. */
export const AgentWebviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }).strict(),
  z.object({ type: z.literal('stop') }).strict(),
  z.object({ type: z.literal('rerun') }).strict(),
  z.object({ type: z.literal('ask') }).strict(),
  z.object({ type: z.literal('openOutput') }).strict(),
  /** Opens a file of the run the transcript names (an answer file); the host re-checks it is inside the run. */
  z.object({ type: z.literal('openFile'), path: z.string().min(1).max(500) }).strict(),
]);
export type AgentWebviewMessage = z.infer<typeof AgentWebviewMessageSchema>;
