/**
 * One agent definition in Claude Code's format: YAML front matter (`name`, `description`,
 * `tools`, `model`) between `---` lines, and the system prompt below. The file comes from an
 * untrusted workspace, so the front matter is parsed with a bound on alias expansion and every
 * error names the line and column, what was expected and what was found.
 */
import { z } from 'zod';
import { TIERS, type Tier } from '../types';
import { parseYamlSource, truncate, yamlIssue, type YamlPosition } from '../trust/yamlSource';

/** Claude Code's `model` values; `inherit` takes the tier the plan gives the agent's role. */
export const DEFINITION_MODELS = [...TIERS, 'inherit'] as const;
export type DefinitionModel = (typeof DEFINITION_MODELS)[number];

/** A name as Claude Code spells one, and as the plan's `agent` field names it. */
export const AGENT_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_NAME = 64;
/** Characters of a description kept (the planner sees a shorter summary of it). */
const MAX_DESCRIPTION = 2_000;
/** Characters of the system prompt below the front matter. */
export const MAX_BODY_CHARS = 32_000;
/** Aliases the front matter may expand: enough for any real file, far too few for a YAML bomb. */
const MAX_ALIASES = 50;

/** A tool list is a comma list (`Read, Grep, Bash`) or a YAML list; names are Claude Code's. */
const TOOLS_EXPECTED = 'expected a comma list (Read, Grep) or a YAML list of tool names';
const ToolList = z.union([
  z.string().transform((s) => s.split(',').map((t) => t.trim()).filter(Boolean)),
  z.array(z.string().trim().min(1)),
], { error: TOOLS_EXPECTED }).pipe(z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'expected a tool name such as Read, Grep or mcp__server__tool')).max(64, 'expected at most 64 tools'));

const NAME_EXPECTED = 'expected lowercase letters, digits and hyphens, like api-reviewer';
const DESCRIPTION_EXPECTED = 'expected a sentence saying when to use this agent';
export const FrontMatterSchema = z.object({
  name: z.string({ error: NAME_EXPECTED }).trim().max(MAX_NAME, `expected at most ${MAX_NAME} characters`).regex(AGENT_NAME, NAME_EXPECTED),
  description: z.string({ error: DESCRIPTION_EXPECTED }).trim().min(1, DESCRIPTION_EXPECTED).max(MAX_DESCRIPTION, `expected at most ${MAX_DESCRIPTION.toLocaleString('en-US')} characters`),
  tools: ToolList.optional(),
  model: z.enum(DEFINITION_MODELS, { error: `expected ${DEFINITION_MODELS.slice(0, -1).join(', ')} or ${DEFINITION_MODELS.at(-1)}` }).optional(),
}).loose(); // Claude Code files carry more (color, …): kept out of the way, never an error.

/** A definition as the engine uses it. */
export interface AgentDefinition {
  name: string;
  description: string;
  /** Claude Code tool names as written; null when the file names none (the role's tools stand). */
  tools: string[] | null;
  model: DefinitionModel;
  /** The tier an agent of this definition runs on; null for `inherit` (the plan's tier stands). */
  tier: Tier | null;
  /** The system prompt: the file below its front matter, trimmed. */
  body: string;
  /** Absolute path of the file it came from. */
  source: string;
}

/** A file that is not a valid definition: where, and what was expected against what was found. */
export interface DefinitionError {
  file: string;
  line: number;
  column: number;
  message: string;
}

export type ParsedDefinition = { ok: true; definition: AgentDefinition } | { ok: false; error: DefinitionError };

const FENCE = /^---[ \t]*$/;

/**
 * Parses one definition file's text. `file` is only for messages (and `source`). Never throws:
 * a bad file is an error naming its line and column, so it cannot hide the others.
 */
export function parseDefinition(text: string, file: string): ParsedDefinition {
  const fail = (line: number, column: number, message: string): ParsedDefinition => ({ ok: false, error: { file, line, column, message } });
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (!FENCE.test(lines[0] ?? '')) {
    return fail(1, 1, `expected front matter opening with a line "---"; found ${JSON.stringify(truncate(lines[0] ?? '', 40))}`);
  }
  const close = lines.findIndex((l, i) => i > 0 && FENCE.test(l));
  if (close < 0) return fail(lines.length, 1, 'expected a line "---" closing the front matter; found the end of the file');
  // Positions in the YAML count from the line after the opening fence.
  const yamlText = lines.slice(1, close).join('\n');
  const at = (pos: YamlPosition) => ({ line: pos.line + 1, column: pos.col });
  const read = parseYamlSource(yamlText, MAX_ALIASES);
  if (!read.ok) {
    const p = at(read.at);
    return fail(p.line, p.column, `the front matter ${read.message}`);
  }
  const data = read.source.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return fail(2, 1, `expected front matter of keys (name, description, tools, model); found ${data === null ? 'nothing' : Array.isArray(data) ? 'a list' : typeof data}`);
  }
  const parsed = FrontMatterSchema.safeParse(data);
  if (!parsed.success) {
    const issue = yamlIssue(read.source, parsed.error.issues[0], 'front matter');
    const p = at(issue.at);
    return fail(p.line, p.column, issue.message);
  }
  const fm = parsed.data;
  const body = lines.slice(close + 1).join('\n').trim();
  if (!body) return fail(close + 2, 1, 'expected the agent\'s system prompt below the front matter; found nothing');
  if (body.length > MAX_BODY_CHARS) {
    return fail(close + 2, 1, `expected a system prompt of at most ${MAX_BODY_CHARS.toLocaleString('en-US')} characters; found ${body.length.toLocaleString('en-US')}`);
  }
  const model = fm.model ?? 'inherit';
  return {
    ok: true,
    definition: {
      name: fm.name, description: fm.description, tools: fm.tools ?? null, model,
      tier: model === 'inherit' ? null : model, body, source: file,
    },
  };
}

