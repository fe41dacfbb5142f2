/**
 * The transcript format: one JSON object a line in `<run>/transcripts/<agentId>.jsonl`, every
 * line one `TranscriptEntry`. It is a public contract (the CLI prints it, the VS Code agent view
 * renders it, users read the files), so entries are validated with zod when read back.
 *
 * `attempt` numbers one agent's attempts across the whole life of its transcript (a resume, a
 * rerun or a follow-up question continues the count), so entries of different attempts never mix.
 */
import { z } from 'zod';

const UsageSchema = z.object({
  input: z.number().int().nonnegative(),
  output: z.number().int().nonnegative(),
  cacheRead: z.number().int().nonnegative(),
  cacheWrite: z.number().int().nonnegative(),
});

const base = { t: z.string(), attempt: z.number().int().nonnegative() };

export const TranscriptEntrySchema = z.discriminatedUnion('type', [
  /**
   * An attempt starts. The system prompt and the shared block (the prefix every agent of a group
   * shares) are not repeated: their hashes name files under `transcripts/prompts/<hash>.md`.
   */
  z.object({
    ...base, type: z.literal('attempt'),
    model: z.string(),
    systemHash: z.string(),
    sharedHash: z.string().nullable(),
    /** The agent's own prompt, cut to an excerpt. */
    prompt: z.string(),
    promptBytes: z.number().int().nonnegative(),
    /** The user's extra instruction when the agent was rerun with one. */
    instruction: z.string().nullable(),
  }),
  /** A request leaves for the API (turn 1, 2 … of the attempt). */
  z.object({ ...base, type: z.literal('request'), turn: z.number().int().positive(), model: z.string() }),
  /** The assistant's text of one response, whole (cut only past a per-entry bound). */
  z.object({ ...base, type: z.literal('text'), text: z.string() }),
  /** Live only, never written: text as it streams; the `text` entry holds the whole once the response ends. */
  z.object({ ...base, type: z.literal('text_delta'), text: z.string() }),
  z.object({ ...base, type: z.literal('tool_call'), id: z.string(), name: z.string(), input: z.unknown() }),
  /** A bounded excerpt of what the tool answered; `bytes` is the whole answer's size. */
  z.object({ ...base, type: z.literal('tool_result'), id: z.string(), ok: z.boolean(), excerpt: z.string(), bytes: z.number().int().nonnegative() }),
  z.object({
    ...base, type: z.literal('usage'),
    usage: UsageSchema, costUsd: z.number().nonnegative(), stopReason: z.string().nullable(), modelReported: z.string(),
  }),
  /** A request or attempt failed; `transient` when it was the kind retries can fix. */
  z.object({ ...base, type: z.literal('error'), message: z.string(), transient: z.boolean().optional() }),
  /** The request policy retries a request: retry `n`, after `waitMs`, because of `reason`. */
  z.object({ ...base, type: z.literal('retry'), n: z.number().int().positive(), waitMs: z.number().nonnegative(), reason: z.string() }),
  /** A follow-up question the user asked this agent after it finished. */
  z.object({ ...base, type: z.literal('ask'), question: z.string() }),
  /** The answer to the question before it; `file` is where it was written, relative to the run folder. */
  z.object({ ...base, type: z.literal('answer'), text: z.string(), file: z.string() }),
  /** The transcript reached `transcriptMaxBytes`: entries of this many bytes were left out. */
  z.object({ ...base, type: z.literal('truncated'), droppedBytes: z.number().int().nonnegative(), droppedEntries: z.number().int().nonnegative() }),
]);

export type TranscriptEntry = z.infer<typeof TranscriptEntrySchema>;
export type TranscriptEntryType = TranscriptEntry['type'];

/** An entry before the writer stamps it with its time and attempt. */
export type TranscriptEntryInput = TranscriptEntry extends infer E ? (E extends { t: string; attempt: number } ? Omit<E, 't' | 'attempt'> : never) : never;
