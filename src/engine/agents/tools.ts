/**
 * Claude Code's tool names mapped onto ours. A definition's `tools` can only narrow what its role
 * may use: the mapping names which of our tools each of theirs stands for, and a tool with no
 * counterpart here (no tool runs a shell or reaches the network) is refused with a note.
 */

/**
 * Claude Code tool → our tools. `Glob` and `LS` both list files; `Write` creates and deletes
 * (Claude Code deletes through `Bash`, which we never offer, so `Write` is the nearest grant);
 * `Edit` and `MultiEdit` edit in place.
 */
export const CLAUDE_TOOL_MAP: Readonly<Record<string, readonly string[]>> = {
  Read: ['read_file'],
  Grep: ['search'],
  Glob: ['list_files'],
  LS: ['list_files'],
  Write: ['write_file', 'delete_file'],
  Edit: ['edit_file'],
  MultiEdit: ['edit_file'],
};

/** Why a Claude Code tool with no counterpart here is never given. */
const NO_COUNTERPART: Readonly<Record<string, string>> = {
  Bash: 'no tool runs a shell here',
  BashOutput: 'no tool runs a shell here',
  KillShell: 'no tool runs a shell here',
  WebFetch: 'agents here do not reach the network',
  WebSearch: 'agents here do not reach the network',
  NotebookEdit: 'notebooks are not edited here',
  NotebookRead: 'read notebooks with Read',
  Task: 'agents here do not start agents of their own',
  TodoWrite: 'agents here keep no to-do list',
};

/**
 * Our tools that are never withheld: `write_output` writes only the agent's own report file, the
 * engine's channel for its result, not a workspace tool (Claude Code has no counterpart, and a
 * worker without it could never finish).
 */
export const ALWAYS_GIVEN: readonly string[] = ['write_output'];

/** Our tools a definition asks for (null: it names none, so it keeps every tool its role has, as in Claude Code). */
export function mappedTools(requested: readonly string[] | null): string[] | null {
  if (requested === null) return null;
  const out = new Set<string>();
  for (const t of requested) for (const ours of CLAUDE_TOOL_MAP[t] ?? []) out.add(ours);
  return [...out];
}

/**
 * The tools an agent of a role gets under a definition: the role's own, narrowed to what the
 * definition asks for (plus `write_output`), never widened.
 */
export function intersectTools(roleTools: readonly string[], requested: readonly string[] | null): string[] {
  const mapped = mappedTools(requested);
  if (mapped === null) return [...roleTools];
  const allowed = new Set([...mapped, ...ALWAYS_GIVEN]);
  return roleTools.filter((t) => allowed.has(t));
}

/**
 * What the plan and the agent's tooltip say about a definition's tools on a role: each tool it
 * asks for that this role does not give, and why ("Bash: no tool runs a shell here").
 */
export function toolNotes(roleTools: readonly string[], requested: readonly string[] | null, roleName: string): string[] {
  if (requested === null) return [];
  const notes: string[] = [];
  const have = new Set(roleTools);
  for (const t of requested) {
    const ours = CLAUDE_TOOL_MAP[t];
    if (!ours) {
      notes.push(`${t} not given: ${NO_COUNTERPART[t] ?? (t.startsWith('mcp__') ? 'MCP tools are not offered here' : 'no tool here stands for it')}`);
      continue;
    }
    const missing = ours.filter((o) => !have.has(o));
    if (missing.length === ours.length) notes.push(`${t} not given: ${/^[aeiou]/.test(roleName) ? 'an' : 'a'} ${roleName} may not use ${ours.join(' or ')}`);
  }
  return notes;
}
