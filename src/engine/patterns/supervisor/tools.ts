/**
 * The supervisor's two tools and the engine's checks on them. The limits are enforced here, on
 * every call, whatever the prompt said: a refused call changes nothing and says which limit it hit.
 */
import { z } from 'zod';
import { formatIssues } from '../../config';
import type { ToolDefinition } from '../../model/client';
import { withinFocus } from '../pattern';
import { FinishInputSchema, SpawnInputSchema, type Limits, type WorkerOrder } from './plan';

function definition(name: string, description: string, schema: z.ZodObject): ToolDefinition {
  const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  delete json.$schema;
  return { name, description, input_schema: json };
}

export const SPAWN_TOOL = 'spawn_workers';
export const FINISH_TOOL = 'finish';

export const SUPERVISOR_TOOLS: readonly ToolDefinition[] = [
  definition(SPAWN_TOOL, 'Start a few workers; this round ends and you are woken with their one-sentence returns.', SpawnInputSchema),
  definition(FINISH_TOOL, 'End the run with the summary for the person who asked (markdown); the engine writes summary.md.', FinishInputSchema),
];

/** Where the run stands against the limits when the supervisor asks for more workers. */
export interface SpawnStanding {
  round: number;
  spawned: number;
  /** Tokens the run has used so far (every agent, the planner included). */
  tokensUsed: number;
  /** A run-wide budget from the settings (cost or tokens) that is already spent, or null. */
  runBudget: string | null;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Validates a spawn_workers call against the schema, the limits, the focus and the workspace.
 * All or nothing: a call that would pass a limit with some of its workers is refused whole, so the
 * supervisor decides which to drop.
 */
export function checkSpawn(input: unknown, limits: Limits, standing: SpawnStanding, place: { focus: readonly string[]; exists(p: string): boolean }): Checked<WorkerOrder[]> {
  const parsed = SpawnInputSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: `spawn_workers refused: ${formatIssues(parsed.error, 'input').join('; ')}` };
  const orders = parsed.data.workers;
  const n = orders.length;
  if (standing.round >= limits.rounds) {
    return { ok: false, error: `spawn_workers refused: round cap reached — this is round ${standing.round} of at most ${limits.rounds} (limits.rounds), so no round is left to read their returns; call finish with what you have` };
  }
  if (n > limits.perRound) {
    return { ok: false, error: `spawn_workers refused: per-round cap — asked for ${n} workers; at most ${limits.perRound} may be spawned in one round (limits.perRound)` };
  }
  if (standing.spawned + n > limits.workers) {
    const left = limits.workers - standing.spawned;
    return { ok: false, error: `spawn_workers refused: spawn cap — ${standing.spawned} of at most ${limits.workers} workers already spawned (limits.workers); asked for ${n} more, ${left > 0 ? `at most ${left} can still be spawned` : 'none can be spawned any more: call finish'}` };
  }
  if (standing.tokensUsed >= limits.tokens) {
    return { ok: false, error: `spawn_workers refused: token budget reached — the run has used ${standing.tokensUsed} of ${limits.tokens} tokens (limits.tokens); call finish` };
  }
  if (standing.runBudget) return { ok: false, error: `spawn_workers refused: ${standing.runBudget}; call finish` };
  const scopeErrors: string[] = [];
  orders.forEach((o, i) => {
    for (const s of o.scope) {
      if (!withinFocus(s, place.focus)) scopeErrors.push(`workers[${i}] has scope "${s}", outside the focus (${place.focus.join(', ')})`);
      else if (!place.exists(s)) scopeErrors.push(`workers[${i}] has scope "${s}", which does not exist in the workspace or may not be read`);
    }
  });
  if (scopeErrors.length) return { ok: false, error: `spawn_workers refused: ${scopeErrors.join('; ')}` };
  return { ok: true, value: orders };
}

export function checkFinish(input: unknown): Checked<string> {
  const parsed = FinishInputSchema.safeParse(input);
  return parsed.success ? { ok: true, value: parsed.data.summary } : { ok: false, error: `finish refused: ${formatIssues(parsed.error, 'input').join('; ')}` };
}
