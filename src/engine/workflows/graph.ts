/** The stages of a workflow as a graph: `dependsOn` edges, what is upstream of a stage, cycles, and an order to run them in. */
import type { Workflow } from './schema';

type Stages = Pick<Workflow, 'stages'>;

/**
 * Every stage `id` depends on, directly or through others (never `id` itself unless a cycle
 * leads back to it). Names that are not stages are left out; a cycle cannot loop this.
 */
export function upstreamOf(wf: Stages, id: string): Set<string> {
  const deps = new Map(wf.stages.map((s) => [s.id, s.dependsOn]));
  const seen = new Set<string>();
  const stack = [...(deps.get(id) ?? [])];
  while (stack.length) {
    const next = stack.pop()!;
    if (seen.has(next) || !deps.has(next)) continue;
    seen.add(next);
    stack.push(...deps.get(next)!);
  }
  return seen;
}

/**
 * The cycles of `dependsOn`, each once, as the stage ids along it with the first repeated at the
 * end (`['a', 'b', 'a']`: a depends on b, which depends on a), starting from the stage that comes
 * first in the file. A stage that depends on itself is `['a', 'a']`.
 */
export function cyclesOf(wf: Stages): string[][] {
  const deps = new Map(wf.stages.map((s) => [s.id, s.dependsOn]));
  const order = new Map(wf.stages.map((s, i) => [s.id, i]));
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const path: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'open');
    path.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (!deps.has(dep)) continue;
      if (state.get(dep) === 'open') {
        const loop = path.slice(path.indexOf(dep));
        const first = loop.reduce((a, b) => (order.get(b)! < order.get(a)! ? b : a));
        const rotated = [...loop.slice(loop.indexOf(first)), ...loop.slice(0, loop.indexOf(first))];
        const key = rotated.join('\u0000');
        if (!seen.has(key)) { seen.add(key); cycles.push([...rotated, first]); }
      } else if (!state.has(dep)) {
        visit(dep);
      }
    }
    path.pop();
    state.set(id, 'done');
  };
  for (const s of wf.stages) if (!state.has(s.id)) visit(s.id);
  return cycles;
}

/**
 * Stage ids in an order where every stage comes after those it depends on; among stages free to
 * go, the file's order. A validated workflow has no cycle; should one be given anyway, its stages
 * follow in file order rather than being dropped or looping.
 */
export function stageOrder(wf: Stages): string[] {
  const ids = new Set(wf.stages.map((s) => s.id));
  const placed = new Set<string>();
  const order: string[] = [];
  let progressed = true;
  while (progressed && order.length < ids.size) {
    progressed = false;
    for (const s of wf.stages) {
      if (placed.has(s.id) || !s.dependsOn.every((d) => placed.has(d) || !ids.has(d))) continue;
      placed.add(s.id);
      order.push(s.id);
      progressed = true;
      // Back to the top: an earlier stage this one freed goes before a later free one.
      break;
    }
  }
  for (const s of wf.stages) if (!placed.has(s.id)) { placed.add(s.id); order.push(s.id); }
  return order;
}
