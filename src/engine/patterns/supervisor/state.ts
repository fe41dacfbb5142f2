/**
 * The supervisor's conversation on disk (`supervisor/conversation.json`), one entry per decided
 * round, so a later round — in this process or after a resume — re-wakes the supervisor with exactly
 * what it saw, plus the returns of the workers it spawned. A round is written only once decided, so
 * an interrupted round leaves nothing behind and is asked again.
 */
import * as path from 'node:path';
import { z } from 'zod';
import { formatIssues } from '../../config';
import { readTextOrNull, writeFileAtomic } from '../../files';
import type { ChatMessage } from '../../model/client';
import { TIERS } from '../../types';

const BlockSchema = z.union([
  z.object({ type: z.literal('text'), text: z.string() }).passthrough(),
  z.object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() }).passthrough(),
  z.object({ type: z.literal('tool_result'), tool_use_id: z.string(), content: z.string(), is_error: z.boolean().optional() }).passthrough(),
]);
const MessageSchema = z.object({ role: z.enum(['user', 'assistant']), content: z.array(BlockSchema) });

const OutcomeSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('spawned'),
    /** The spawn_workers call whose result (the returns) opens the next round. */
    toolUseId: z.string(),
    /** Results of the other tool calls of the same reply, sent with the returns. */
    otherResults: z.array(BlockSchema),
    workers: z.array(z.object({ id: z.string(), task: z.string(), scope: z.array(z.string()), tier: z.enum(TIERS) })),
  }),
  z.object({ kind: z.literal('finished'), summary: z.string() }),
]);

const RoundSchema = z.object({
  round: z.number().int().min(1),
  /** The messages this round added to the conversation, its opening message first. */
  messages: z.array(MessageSchema),
  /** Prompt tokens of the round's first request as the API counted them (input + cache read + cache write). */
  promptTokens: z.number().int().min(0),
  /** Prompt tokens of the round's last request. */
  lastPromptTokens: z.number().int().min(0),
  /** Tokens of the returns that opened the round (0 in round 1): what the context grew by, by design. */
  returnTokens: z.number().int().min(0),
  outcome: OutcomeSchema,
});

const StateSchema = z.object({ version: z.literal(1), rounds: z.array(RoundSchema) });

export type RoundState = z.infer<typeof RoundSchema>;
export type RoundOutcome = z.infer<typeof OutcomeSchema>;
export type SupervisorState = z.infer<typeof StateSchema>;

/** Run-folder-relative. */
export const CONVERSATION_FILE = 'supervisor/conversation.json';
export const conversationFile = (runDir: string): string => path.join(runDir, ...CONVERSATION_FILE.split('/'));

/** The state on disk, or an empty one; a file that is not valid is an error, never overwritten. */
export async function loadState(runDir: string): Promise<SupervisorState> {
  const file = conversationFile(runDir);
  const text = await readTextOrNull(file);
  if (text === null) return { version: 1, rounds: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); the supervisor cannot be re-woken from it`, { cause: err });
  }
  const parsed = StateSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file} is not a supervisor conversation: ${formatIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

/** Keeps the rounds before `round` and adds it: a re-asked round replaces whatever came after it. */
export async function saveRound(runDir: string, state: SupervisorState, entry: RoundState): Promise<void> {
  const rounds = [...state.rounds.filter((r) => r.round < entry.round), entry];
  await writeFileAtomic(conversationFile(runDir), JSON.stringify({ version: 1, rounds } satisfies SupervisorState, null, 1));
}

/** The conversation up to (not including) `round`. */
export function historyBefore(state: SupervisorState, round: number): ChatMessage[] {
  return state.rounds.filter((r) => r.round < round).sort((a, b) => a.round - b.round).flatMap((r) => r.messages as ChatMessage[]);
}
