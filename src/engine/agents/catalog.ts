/**
 * Agent definitions where planning and running meet them: the block the planner reads, the check
 * of a plan's `agent` fields, the definitions a run keeps (agents.json, so what runs is what was
 * approved), and what each assigned agent record says about its definition.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { Config } from '../config';
import { WORKER_TOOL_NAMES } from '../tools/tools';
import { TIERS, type AgentRecord, type AgentRole, type Tier } from '../types';
import { AGENT_NAME, DEFINITION_MODELS, type AgentDefinition } from './definition';
import { toolNotes } from './tools';

/** Definitions the planner sees with their description at most; the others are listed by name. */
export const PLANNER_DESCRIBED = 24;
/** Characters of one description the planner sees (its first sentence, cut). */
export const PLANNER_DESCRIPTION_CHARS = 140;
/** Characters of the whole block at most, however many definitions there are and however long the prompt. */
export const PLANNER_BLOCK_CHARS = 6_000;
/**
 * The block's share of the rest of the planner's prompt, in characters. Names and summaries
 * tokenise about twice as densely as the overview's paths and the rules' prose, so 5 % of the
 * characters keeps the block near the bound we hold it to: at most 10 % more input tokens.
 */
export const PLANNER_BLOCK_SHARE = 0.05;
/**
 * Characters the block may always use, its header included, however short the prompt: the header
 * and the most relevant definition. A pattern picked by hand gives the planner a short prompt (one
 * pattern's guide), and a larger floor alone would break the 10 % bound there.
 */
const PLANNER_BLOCK_FLOOR = 320;

const AGENTS_HEADER = "\n# The user's agents\nWhere one clearly fits a worker's, an expert's or a builder's job, set its `agent` field to that name (its instructions and model apply). Never invent a name.\n";

/** A description as the planner sees it: its first sentence, cut to a bound. */
export function plannerSummary(description: string): string {
  const oneLine = description.replace(/\s+/g, ' ').trim();
  const sentence = /^(.+?[.!?])(\s|$)/.exec(oneLine)?.[1] ?? oneLine;
  return sentence.length > PLANNER_DESCRIPTION_CHARS ? `${sentence.slice(0, PLANNER_DESCRIPTION_CHARS - 1)}…` : sentence;
}

const words = (s: string): string[] => s.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 3);

/**
 * The definitions in the order the planner should meet them: those whose name and description
 * share the most words with the task first, then by precedence. When not all fit, the ones the
 * task is about are the ones shown.
 */
export function byRelevance<D extends Pick<AgentDefinition, 'name' | 'description'>>(definitions: readonly D[], task: string): D[] {
  const taskWords = new Set(words(task));
  if (taskWords.size === 0) return [...definitions];
  const score = (d: D): number => new Set([...words(d.name), ...words(d.description)].filter((w) => taskWords.has(w))).size;
  return definitions.map((d, i) => ({ d, i, s: score(d) })).sort((a, b) => b.s - a.s || a.i - b.i).map((x) => x.d);
}

export interface AgentsBlockOptions {
  /** The task: definitions it names come first. */
  task?: string;
  /** Characters of the rest of the planner's prompt: the block takes a bounded share of it. */
  promptChars?: number;
}

/**
 * The planner's section on the user's agents, or '' when there are none. Bounded whatever the
 * count: the definitions most relevant to the task with a one-sentence summary, the next by
 * name, the rest counted. Its size is a share of the prompt it joins (PLANNER_BLOCK_SHARE), so
 * 200 definitions cost the planner about what a few do. Validation accepts any defined name,
 * listed or not.
 */
export function plannerAgentsBlock(definitions: readonly Pick<AgentDefinition, 'name' | 'description' | 'model'>[], opts: AgentsBlockOptions = {}): string {
  if (definitions.length === 0) return '';
  // The header counts: on a short prompt it is most of what the block costs.
  const budget = Math.min(PLANNER_BLOCK_CHARS, Math.max(PLANNER_BLOCK_FLOOR, Math.floor((opts.promptChars ?? Infinity) * PLANNER_BLOCK_SHARE))) - AGENTS_HEADER.length;
  const ordered = byRelevance(definitions, opts.task ?? '');
  const lines: string[] = [];
  let used = 0;
  let described = 0;
  // Half of the budget for summaries, so names still fit after them.
  for (const d of ordered) {
    if (described >= PLANNER_DESCRIBED) break;
    const line = `- ${d.name}${d.model !== 'inherit' ? ` (${d.model})` : ''}: ${plannerSummary(d.description)}`;
    if (used + line.length + 1 > budget / 2 && described > 0) break;
    lines.push(line);
    used += line.length + 1;
    described++;
  }
  const rest = ordered.slice(described).map((d) => d.name);
  let restLine = '';
  if (rest.length) {
    const shown: string[] = [];
    let len = 0;
    for (const n of rest) {
      if (used + len + n.length + 2 > budget) break;
      shown.push(n);
      len += n.length + 2;
    }
    const more = rest.length - shown.length;
    restLine = shown.length
      ? `\nAlso defined (by name only): ${shown.join(', ')}${more ? ` and ${more} more` : ''}.`
      : `\n${more} more defined, not listed here.`;
  }
  return `${AGENTS_HEADER}${lines.join('\n')}${restLine}\n`;
}

/** The check of one plan entry's `agent` field: unknown names are errors that list the known ones. */
export function unknownAgentErrors(who: string, name: string | undefined, known: readonly { name: string }[] | undefined): string[] {
  if (name === undefined || known === undefined) return [];
  if (known.some((d) => d.name === name)) return [];
  const names = known.map((d) => d.name);
  const list = names.length === 0 ? 'no agents are defined, so leave `agent` out'
    : `use one of ${names.slice(0, 30).join(', ')}${names.length > 30 ? ` (and ${names.length - 30} more)` : ''} or leave \`agent\` out`;
  return [`${who} names the agent "${name}", which is not defined; ${list}`];
}

/** The optional `agent` field of a plan entry (a worker, an expert, a builder). */
export const AgentFieldSchema = z.string().trim().regex(AGENT_NAME, 'an agent name from "The user\'s agents", like api-reviewer').max(64).optional();

/** A definition as a run keeps it in agents.json: what its agents run with, even if the file changes later. */
export const RunDefinitionSchema = z.object({
  name: z.string().regex(AGENT_NAME),
  description: z.string(),
  tools: z.array(z.string()).nullable(),
  model: z.enum(DEFINITION_MODELS),
  tier: z.enum(TIERS).nullable(),
  body: z.string().max(64 * 1024),
  source: z.string(),
});
export type RunDefinition = z.infer<typeof RunDefinitionSchema>;

/** The run-folder file holding the definitions its plan assigns. */
export const RUN_DEFINITIONS_FILE = 'agents.json';

/** The definitions a plan's agents name, as agents.json holds them ('' when none does). */
export function runDefinitionsJson(agents: readonly Pick<AgentRecord, 'agentDefinition'>[], definitions: readonly AgentDefinition[]): string {
  const used = new Set(agents.map((a) => a.agentDefinition).filter((n): n is string => !!n));
  if (used.size === 0) return '';
  const defs: RunDefinition[] = definitions.filter((d) => used.has(d.name))
    .map(({ name, description, tools, model, tier, body, source }) => ({ name, description, tools, model, tier, body, source }));
  return JSON.stringify(defs, null, 2);
}

/**
 * The definitions a run keeps, by name; empty when it has none. The file is read back from a
 * run folder, untrusted like plan.json: a file that does not validate is an error, not ignored,
 * because its agents would otherwise run without the instructions the user approved.
 */
export async function readRunDefinitions(runDir: string): Promise<ReadonlyMap<string, RunDefinition>> {
  let text: string;
  try {
    text = await fs.readFile(path.join(runDir, RUN_DEFINITIONS_FILE), 'utf8');
  } catch {
    return new Map();
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${RUN_DEFINITIONS_FILE} in ${runDir} is not valid JSON; its agents cannot run with the definitions that were approved`);
  }
  const parsed = z.array(RunDefinitionSchema).max(1_000).safeParse(json);
  if (!parsed.success) throw new Error(`${RUN_DEFINITIONS_FILE} in ${runDir} is not valid: ${parsed.error.issues[0]?.message ?? 'unknown shape'}`);
  return new Map(parsed.data.map((d) => [d.name, d]));
}

/**
 * Applies their definitions to compiled agent records that name one (`agentDefinition`): the
 * definition's tier unless it inherits, and notes on the tools it asks for that the role does not
 * give. `roleTools` says what each role's agents get (a pattern's RoleSpec.tools).
 */
export function applyDefinitions(
  agents: AgentRecord[], definitions: readonly AgentDefinition[], config: Pick<Config, 'models'>,
  roleTools: (role: AgentRecord['role']) => readonly string[],
): void {
  for (const a of agents) {
    if (!a.agentDefinition) continue;
    const def = definitions.find((d) => d.name === a.agentDefinition);
    if (!def) continue;
    const notes: string[] = [];
    if (def.tier && def.tier !== a.tier) {
      notes.push(`runs on ${def.tier}, as its definition says (planned: ${a.tier})`);
      setTier(a, def.tier, config);
    }
    notes.push(...toolNotes(roleTools(a.role), def.tools, a.role));
    if (notes.length) a.agentNotes = notes;
  }
}

/** What each role's agents get, from a pattern's roles (RoleSpec.tools), the read tools and write_output by default. */
export function roleToolsOf(pattern: { roles: Partial<Record<AgentRole, { tools?: readonly string[] }>> }): (role: AgentRole) => readonly string[] {
  return (role) => pattern.roles[role]?.tools ?? WORKER_TOOL_NAMES;
}

function setTier(a: AgentRecord, tier: Tier, config: Pick<Config, 'models'>): void {
  a.tier = tier;
  a.modelRequested = config.models[tier];
}

