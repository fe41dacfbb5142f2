/**
 * `orchestrate agents`: the agent definitions a run in this workspace would see (Claude Code's
 * `.claude/agents/*.md`), where each came from, which were shadowed by one of the same name, and
 * the files that are not valid definitions with their line and column.
 *
 * It exits 0 when definitions are invalid: a bad file is listed, and a run plans without it (with a
 * warning), exactly as this command shows. Exit 2 stays for usage errors, so a script can tell
 * "you called me wrong" from "your workspace has a broken definition" (which `--json` reports in
 * `errors`).
 */
import * as path from 'node:path';
import {
  intersectTools, loadAgentDefinitions, toolNotes, type AgentCatalog, type Config, type FoundDefinition,
} from '../engine';
import { WORKER_TOOL_NAMES } from '../engine/tools/tools';
import { plural } from '../shared/words';
import type { CliArgs } from './args';
import type { Io } from './changes';
import { shownPath } from './hint';

/** One definition as `--json` reports it. */
export interface AgentListing {
  name: string;
  description: string;
  /** Claude Code tool names as written; null: none named (the role's tools stand). */
  toolsRequested: string[] | null;
  /** Our tools a read-only agent (a worker, an expert) gets under it. */
  tools: string[];
  /** What it asks for that a read-only agent does not get, and why. */
  notes: string[];
  model: string;
  /** The tier it runs on; null for `inherit` (the tier the plan gives). */
  tier: string | null;
  origin: string;
  source: string;
}

/** The catalog as `orchestrate agents --json` prints it. */
export function agentsJson(catalog: AgentCatalog): { definitions: AgentListing[]; shadowed: AgentCatalog['shadowed']; errors: AgentCatalog['errors']; searched: AgentCatalog['searched'] } {
  return {
    definitions: catalog.definitions.map(listing),
    shadowed: catalog.shadowed,
    errors: catalog.errors,
    searched: catalog.searched,
  };
}

function listing(d: FoundDefinition): AgentListing {
  return {
    name: d.name, description: d.description, toolsRequested: d.tools,
    tools: intersectTools(WORKER_TOOL_NAMES, d.tools), notes: toolNotes(WORKER_TOOL_NAMES, d.tools, 'read-only agent'),
    model: d.model, tier: d.tier, origin: d.origin, source: d.source,
  };
}

/** The catalog as lines for a person. */
export function agentsText(catalog: AgentCatalog): string[] {
  const lines: string[] = [];
  if (catalog.definitions.length === 0) lines.push('No agent definitions found.');
  for (const d of catalog.definitions.map(listing)) {
    lines.push(`@${d.name} — ${d.description.replace(/\s+/g, ' ')}`);
    lines.push(`  tools: ${d.toolsRequested === null ? 'all of the role\'s (none named)' : `${d.toolsRequested.join(', ') || '(none)'} → ${d.tools.join(', ')} on a read-only agent`}`);
    for (const n of d.notes) lines.push(`  note: ${n}`);
    lines.push(`  model: ${d.model}${d.tier ? ` → tier ${d.tier}` : ' → the tier the plan gives'}`);
    lines.push(`  from: ${shownPath(d.source)} (${d.origin})`);
  }
  if (catalog.shadowed.length) {
    lines.push('', `Shadowed (${plural(catalog.shadowed.length, 'definition')}; the first of a name wins):`);
    for (const s of catalog.shadowed) lines.push(`  @${s.name}: ${shownPath(s.source)} is shadowed by ${shownPath(s.shadowedBy)}`);
  }
  if (catalog.errors.length) {
    lines.push('', `Not valid (${plural(catalog.errors.length, 'file')}; runs plan without them):`);
    for (const e of catalog.errors) lines.push(`  ${shownPath(e.file)}:${e.line}:${e.column}: ${e.message}`);
  }
  lines.push('', `Looked in, first wins: ${catalog.searched.map((s) => `${shownPath(s.dir)}${s.exists ? '' : ' (none)'}`).join(', ')}`);
  return lines;
}

/** `orchestrate agents [--workspace DIR] [--json]`; always 0 once the arguments are right (see above). */
export async function agentsCommand(workspace: string, config: Config, args: Pick<CliArgs, 'json'>, io: Io): Promise<number> {
  const catalog = await loadAgentDefinitions(path.resolve(workspace), { outputRoot: config.outputRoot });
  if (args.json) io.out(JSON.stringify(agentsJson(catalog), null, 2));
  else io.out(agentsText(catalog).join('\n'));
  return 0;
}
