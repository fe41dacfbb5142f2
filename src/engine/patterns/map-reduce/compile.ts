import { ignoreOptionsOf } from '../../config';
import type { AgentGroup, AgentRecord } from '../../types';
import { fmtTokens } from '../../plan/planMarkdown';
import { formatBytes } from '../../tools/walk';
import { agentRecord, type CompileContext, type Compiled } from '../pattern';
import { partitionBySize } from './partition';
import { reduceTree } from './partition';
import { thousands, type MapReducePlan } from './plan';
import { countByReason, selectFiles, type ExcludedFile, type Selection } from './select';

export const FINAL_ID = 'final';
export const MAP_GROUP = 'map';
/** The run-folder file holding which files each mapper was given and which were left out, and why. */
export const SELECTION_FILE = 'selection.json';

export const mapperId = (n: number): string => `m${n}`;
export const reducerId = (level: number, n: number): string => `r${level}-${n}`;
export const reduceGroup = (level: number): string => `reduce-${level}`;

/** selection.json: the whole selection, for review before approval and for the final's Selection section. */
export interface SelectionFile {
  version: 1;
  include: string[];
  exclude: string[];
  focus: string[];
  mapperTokens: number;
  filesPerMapper: number;
  fanIn: number;
  selectedFiles: number;
  selectedTokens: number;
  mappers: Array<{ id: string; tokens: number; files: string[] }>;
  /** Level by level: each reducer and the outputs it combines. */
  reducers: Array<Array<{ id: string; inputs: string[] }>>;
  excluded: ExcludedFile[];
}

const plural = (n: number, one: string, many = `${one}s`): string => `${thousands(n)} ${n === 1 ? one : many}`;

/**
 * Selects the files (selectFiles), cuts them into mappers by size, and builds the reduce tree:
 * mappers m1…mN (group `map`) → reducers r<level>-<n> of at most `fanIn` inputs (one group per
 * level) → the final step, which reads the last level's single output and writes summary.md.
 * With one mapper there is no reducer: the final reads the mapper's output. Agents come in
 * dependency order.
 */
export async function compileMapReduce(plan: MapReducePlan, ctx: CompileContext): Promise<Compiled> {
  const selection = await selectFiles({
    workspace: ctx.workspace, outputRoot: ctx.config.outputRoot, ignore: ignoreOptionsOf(ctx.config),
    include: plan.include, exclude: plan.exclude, focus: plan.focus, maxFileTokens: plan.mapperTokens,
  });
  return layOut(plan, ctx, selection);
}

/** The graph and selection.json for a selection already made (separate so tests can feed one). */
export function layOut(plan: MapReducePlan, ctx: Pick<CompileContext, 'config'>, selection: Selection): Compiled {
  const { config } = ctx;
  const parts = partitionBySize(selection.selected, { maxTokens: plan.mapperTokens, maxFiles: plan.filesPerMapper });
  const agents: AgentRecord[] = [];
  const excludedNote = selection.excluded.length ? `; ${plural(selection.excluded.length, 'file')} excluded, see ${SELECTION_FILE}` : '';
  const groups: AgentGroup[] = [{
    id: MAP_GROUP,
    label: `Map: ${plural(parts.length, 'partition')} of ${plural(selection.selected.length, 'file')}${excludedNote}`,
  }];
  const sizes = new Map(selection.selected.map((f) => [f.path, f.bytes]));
  parts.forEach((p, i) => {
    const files = p.files.map((f) => f.path);
    const bytes = files.reduce((n, f) => n + (sizes.get(f) ?? 0), 0);
    const span = files.length === 1 ? files[0] : `${files[0]} … ${files[files.length - 1]}`;
    agents.push(agentRecord(config, {
      id: mapperId(i + 1), role: 'mapper', domain: MAP_GROUP, tier: plan.mapperTier,
      task: `Answer the question for ${plural(files.length, 'file')} (${formatBytes(bytes)}, ~${fmtTokens(p.tokens)} tokens): ${span}`,
      scope: files, dependsOn: [], outputFile: `mappers/${mapperId(i + 1)}.md`,
    }));
  });

  const tree = reduceTree(parts.length, plan.fanIn);
  let below = agents.map((a) => a.id);
  const reducers: SelectionFile['reducers'] = [];
  tree.forEach((level, l) => {
    const depth = l + 1;
    groups.push({ id: reduceGroup(depth), label: `Reduce level ${depth}: ${plural(level.length, 'reducer')} of ≤ ${plan.fanIn} inputs` });
    const ids = level.map((inputs, n) => {
      const id = reducerId(depth, n + 1);
      const deps = inputs.map((k) => below[k]);
      agents.push(agentRecord(config, {
        id, role: 'reducer', domain: reduceGroup(depth), tier: 'sonnet',
        task: `Combine ${plural(deps.length, 'output')} (${deps.length === 1 ? deps[0] : `${deps[0]} … ${deps[deps.length - 1]}`}) into one answer`,
        scope: [], dependsOn: deps, outputFile: `reducers/${id}.md`,
      }));
      return { id, inputs: deps };
    });
    reducers.push(ids);
    below = ids.map((r) => r.id);
  });
  agents.push(agentRecord(config, {
    id: FINAL_ID, role: 'final', domain: null, tier: 'sonnet',
    task: `Answer the question over all ${plural(selection.selected.length, 'file')} from the combined output of ${below[0]}`,
    scope: [], dependsOn: below.slice(0, 1), outputFile: 'summary.md',
  }));

  const file: SelectionFile = {
    version: 1, include: plan.include, exclude: plan.exclude, focus: plan.focus,
    mapperTokens: plan.mapperTokens, filesPerMapper: plan.filesPerMapper, fanIn: plan.fanIn,
    selectedFiles: selection.selected.length,
    selectedTokens: selection.selected.reduce((n, f) => n + f.tokens, 0),
    mappers: parts.map((p, i) => ({ id: mapperId(i + 1), tokens: p.tokens, files: p.files.map((f) => f.path) })),
    reducers, excluded: selection.excluded,
  };
  return { agents, groups, artifacts: { [SELECTION_FILE]: `${JSON.stringify(file, null, 1)}\n` } };
}

/** One line on the selection: how many files, mappers and levels, and what was left out by reason. */
export function selectionLine(s: Pick<SelectionFile, 'selectedFiles' | 'mappers' | 'reducers' | 'excluded'>): string {
  const counts = countByReason(s.excluded).map(([r, n]) => `${n} ${r}`).join(', ');
  return `${plural(s.selectedFiles, 'file')} selected in ${plural(s.mappers.length, 'mapper')}, reduced through ${plural(s.reducers.length, 'level')}; `
    + (s.excluded.length ? `${plural(s.excluded.length, 'file')} excluded (${counts}).` : 'none excluded.');
}
