/**
 * What a workflow must satisfy beyond its schema: stage ids used once, `dependsOn` naming stages
 * and free of cycles, `each.items` naming a stage upstream, templates naming only what is known
 * when the stage runs, agents that exist, and paths that stay in the workspace. Each problem is
 * reported against the key it is about (the YAML side turns that into a line and column).
 */
import { cyclesOf, upstreamOf } from './graph';
import type { Workflow } from './schema';
import { placeholdersOf } from './template';

/** A problem at a key of the file; `needle` narrows it to the n-th occurrence of a text in that value. */
export interface WorkflowProblem {
  key: Array<string | number>;
  message: string;
  needle?: { text: string; nth: number };
}

/** Agent names shown in an "unknown agent" message at most. */
const NAMES_SHOWN = 12;

/** Every problem of a workflow that passed its schema; none when it is valid. `agents`: null or unset skips the agent check. */
export function workflowProblems(wf: Workflow, agents?: readonly { name: string }[] | null): WorkflowProblem[] {
  const problems: WorkflowProblem[] = [];
  const ids = wf.stages.map((s) => s.id);
  const known = new Set(ids);
  const idList = [...known].join(', ');
  const firstIndex = new Map<string, number>();

  wf.stages.forEach((s, i) => {
    const first = firstIndex.get(s.id);
    if (first === undefined) firstIndex.set(s.id, i);
    else problems.push({ key: ['stages', i, 'id'], message: `stages[${i}].id: expected a stage id used once; found "${s.id}", already the id of stages[${first}]` });
  });

  wf.stages.forEach((s, i) => {
    s.dependsOn.forEach((dep, k) => {
      if (!known.has(dep)) problems.push({ key: ['stages', i, 'dependsOn', k], message: `stage "${s.id}" dependsOn: expected a stage of this workflow (${idList}); found "${dep}", which is no stage` });
    });
  });

  for (const cycle of cyclesOf(wf)) {
    const [from, to] = cycle;
    const i = ids.indexOf(from);
    problems.push({
      key: ['stages', i, 'dependsOn', wf.stages[i].dependsOn.indexOf(to)],
      message: cycle.length === 2
        ? `stage "${from}" dependsOn: expected stages it waits for; found "${from}" itself, so it could never start`
        : `stage "${from}" dependsOn: expected stages that wait only for earlier work; found a cycle ${cycle.join(' → ')} (each waits for the next), so none of them could start`,
    });
  }

  wf.stages.forEach((s, i) => {
    const upstream = upstreamOf(wf, s.id);
    upstream.delete(s.id);
    if (s.each && 'items' in s.each) {
      const src = s.each.items;
      if (!known.has(src)) {
        problems.push({ key: ['stages', i, 'each', 'items'], message: `stage "${s.id}" each.items: expected a stage this one depends on; found "${src}", which is no stage` });
      } else if (!upstream.has(src)) {
        problems.push({ key: ['stages', i, 'each', 'items'], message: `stage "${s.id}" each.items: expected a stage this one depends on, directly or through others; found "${src}", which is not upstream of it (add it to dependsOn)` });
      }
    }
    if (s.each && 'files' in s.each) {
      const one = typeof s.each.files === 'string';
      const globs = typeof s.each.files === 'string' ? [s.each.files] : s.each.files;
      globs.forEach((g, k) => {
        const bad = outsideWorkspace(g);
        if (bad) problems.push({ key: one ? ['stages', i, 'each', 'files'] : ['stages', i, 'each', 'files', k], message: `stage "${s.id}" each.files: expected a glob relative to the workspace; found "${g}", ${bad}` });
      });
    }
    (s.scope ?? []).forEach((p, k) => {
      const bad = outsideWorkspace(p);
      if (bad) problems.push({ key: ['stages', i, 'scope', k], message: `stage "${s.id}" scope: expected a path relative to the workspace; found "${p}", ${bad}` });
    });
    problems.push(...templateProblems(wf, i, upstream, known));
    if (agents) {
      const names = new Set(agents.map((a) => a.name));
      const expected = agents.length === 0
        ? 'expected an agent defined in .claude/agents, ~/.claude/agents or .orchestration/agents (none is defined)'
        : `expected a defined agent (${agents.slice(0, NAMES_SHOWN).map((a) => a.name).join(', ')}${agents.length > NAMES_SHOWN ? `, and ${agents.length - NAMES_SHOWN} more` : ''})`;
      if (s.agent !== undefined && !names.has(s.agent)) problems.push({ key: ['stages', i, 'agent'], message: `stage "${s.id}" agent: ${expected}; found "${s.agent}", which is not defined` });
      s.gates.forEach((g, k) => {
        if (typeof g === 'object' && 'review' in g && !names.has(g.review)) {
          problems.push({ key: ['stages', i, 'gates', k, 'review'], message: `stage "${s.id}" gates[${k}].review: ${expected}; found "${g.review}", which is not defined` });
        }
      });
    }
  });
  return problems;
}

/** The placeholders of stage `i`'s instructions that name nothing known when it runs. */
function templateProblems(wf: Workflow, i: number, upstream: ReadonlySet<string>, known: ReadonlySet<string>): WorkflowProblem[] {
  const s = wf.stages[i];
  const params = Object.keys(wf.params);
  const problems: WorkflowProblem[] = [];
  const count = new Map<string, number>();
  for (const p of placeholdersOf(s.instructions)) {
    const nth = count.get(p.raw) ?? 0;
    count.set(p.raw, nth + 1);
    const at = (message: string): void => { problems.push({ key: ['stages', i, 'instructions'], message: `stage "${s.id}" instructions: ${message}`, needle: { text: p.raw, nth } }); };
    if (p.kind === 'unknown') {
      at(`expected {{params.<name>}}, {{item}} or {{stages.<id>}}; found ${p.raw}`);
    } else if (p.kind === 'param' && !Object.hasOwn(wf.params, p.name)) {
      at(`expected a declared parameter (${params.length ? params.map((n) => `{{params.${n}}}`).join(', ') : 'this workflow declares none under params'}); found ${p.raw}`);
    } else if (p.kind === 'item' && !s.each) {
      at(`expected {{item}} only in a stage with each:; found it in "${s.id}", which has no each`);
    } else if (p.kind === 'earlier' && !known.has(p.name)) {
      at(`expected {{stages.<id>}} naming a stage; found ${p.raw}, and there is no stage "${p.name}"`);
    } else if (p.kind === 'earlier' && !upstream.has(p.name)) {
      at(`expected {{stages.<id>}} naming a stage this one depends on; found ${p.raw}, whose handoff is not ready when "${s.id}" runs (add "${p.name}" to its dependsOn)`);
    }
  }
  return problems;
}

/** Why a workspace-relative path or glob is not one, or null. */
function outsideWorkspace(p: string): string | null {
  if (/^(?:[a-zA-Z]:)?[\\/]/.test(p) || p.startsWith('~')) return 'an absolute path';
  if (p.split(/[\\/]/).includes('..')) return 'which climbs out with ..';
  return null;
}
