/**
 * The supervisor's two tools and the engine's checks on them. The limits are enforced here, on
 * every call, whatever the prompt said: a refused call changes nothing and says which limit it hit.
 */
import { z } from 'zod';
import { formatIssues } from '../../config';
import { defineTool, ToolSet } from '../../tools/toolSet';
import { withinFocus } from '../pattern';
import type { SpawnedWorker } from './compile';
import { FinishInputSchema, SpawnInputSchema, type Limits, type WorkerOrder } from './plan';

export const SPAWN_TOOL = 'spawn_workers';
export const FINISH_TOOL = 'finish';

/** The JSON schema the supervisor is sent for a tool's input (draft 7, input side: defaults optional). */
function inputSchemaOf(schema: z.ZodObject): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

/** What a supervisor's tools see: the limits and where the run stands at the moment of the call. */
export interface SupervisorToolContext {
  limits: Limits;
  focus: readonly string[];
  exists(p: string): boolean;
  /** The round, workers spawned so far and the budgets, read at each call (a worker may have spent since the round woke). */
  standing(): SpawnStanding;
}

/**
 * How a round ends: with workers spawned (the supervisor is suspended until their returns wake the
 * next round) or with the summary.
 */
export type RoundEnd = { kind: 'spawned'; workers: SpawnedWorker[] } | { kind: 'finished'; summary: string };

/**
 * The supervisor's tool set. Both tools end the round: converse stops there and the engine carries
 * the decision out; a refused call is answered and the supervisor asked again.
 */
export const SUPERVISOR_TOOLS = new ToolSet<SupervisorToolContext, RoundEnd>([
  defineTool<typeof SpawnInputSchema, SupervisorToolContext, RoundEnd>({
    name: SPAWN_TOOL,
    description: 'Start a few workers; this round ends and you are woken with their one-sentence returns.',
    schema: SpawnInputSchema,
    inputSchema: inputSchemaOf(SpawnInputSchema),
    invalid: (_input, error) => refusedInput(SPAWN_TOOL, error),
    handle(input, ctx) {
      const standing = ctx.standing();
      const checked = checkOrders(input.workers, ctx.limits, standing, ctx);
      if (!checked.ok) return { isError: true, content: checked.error };
      const workers = checked.value.map((o, i) => ({ ...o, id: `w${standing.spawned + i + 1}` }));
      return { end: { kind: 'spawned', workers }, note: `spawned ${workers.map((w) => w.id).join(', ')}` };
    },
  }),
  defineTool<typeof FinishInputSchema, SupervisorToolContext, RoundEnd>({
    name: FINISH_TOOL,
    description: 'End the run with the summary for the person who asked (markdown); the engine writes summary.md.',
    schema: FinishInputSchema,
    inputSchema: inputSchemaOf(FinishInputSchema),
    invalid: (_input, error) => refusedInput(FINISH_TOOL, error),
    handle: (input) => ({ end: { kind: 'finished', summary: input.summary }, note: 'finished: the engine writes summary.md' }),
  }),
], (name) => `unknown tool ${name}; the tools are ${SPAWN_TOOL} and ${FINISH_TOOL}`);

function refusedInput(tool: string, error: z.ZodError): string {
  return `${tool} refused: ${formatIssues(error, 'input').join('; ')}`;
}

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
  if (!parsed.success) return { ok: false, error: refusedInput(SPAWN_TOOL, parsed.error) };
  return checkOrders(parsed.data.workers, limits, standing, place);
}

/** The checks of `checkSpawn` past the schema. */
function checkOrders(orders: WorkerOrder[], limits: Limits, standing: SpawnStanding, place: { focus: readonly string[]; exists(p: string): boolean }): Checked<WorkerOrder[]> {
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
  return parsed.success ? { ok: true, value: parsed.data.summary } : { ok: false, error: refusedInput(FINISH_TOOL, parsed.error) };
}
