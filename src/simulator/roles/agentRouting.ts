/**
 * The simulated planner's capability routing: when the planner's prompt lists the user's agents
 * ("# The user's agents"), a worker whose scope names a path segment that is a word of an agent's
 * name (`src/api/…` and `api-reviewer`) is assigned that agent. Deterministic: the first agent in
 * the listed order wins.
 */

/** The agents' names the planner's system prompt lists, in order (described ones, then the by-name line). */
export function listedAgents(system: string): string[] {
  const at = system.indexOf("# The user's agents");
  if (at < 0) return [];
  const section = system.slice(at).split(/\n(?=# )/)[0];
  const names: string[] = [];
  for (const line of section.split('\n')) {
    const described = /^- ([a-z0-9-]+)(?: \([a-z]+\))?: /.exec(line);
    if (described) names.push(described[1]);
    const byName = /^Also defined \(by name only\): (.+?)(?: and \d+ more)?\.$/.exec(line);
    if (byName) names.push(...byName[1].split(', '));
  }
  return names;
}

/** Words of a name too generic to route on: every agent reviews or writes something. */
const GENERIC = new Set(['agent', 'reviewer', 'review', 'writer', 'expert', 'helper', 'the', 'and']);

/** The agent for a scope, or undefined: the first whose name has a word that is a segment of one of the scope's paths. */
export function agentForScope(scope: readonly string[], agents: readonly string[]): string | undefined {
  const segments = new Set(scope.flatMap((p) => p.toLowerCase().split(/[\\/.]+/)).filter(Boolean));
  return agents.find((name) => name.split('-').some((w) => w.length >= 2 && !GENERIC.has(w) && segments.has(w)));
}
