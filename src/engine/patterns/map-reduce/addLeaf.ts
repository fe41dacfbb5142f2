import * as path from 'node:path';
import { readTextOrNull } from '../../files';
import { fmtTokens } from '../../plan/planMarkdown';
import { guardPathSync } from '../../tools/pathGuard';
import { formatBytes } from '../../tools/walk';
import { statSyncOrNull } from '../../files';
import { agentRecord, withinFocus, type AddedLeaf, type AddLeafContext, type LeafRequest } from '../pattern';
import { MAP_GROUP, mapperId, reduceGroup, SELECTION_FILE, type SelectionFile } from './compile';
import type { MapReducePlan } from './plan';
import { FILE_WRAPPER_TOKENS } from './select';
import { plural } from '../../../shared/words';

/**
 * A mapper added to a map-reduce run over files the user names: each must be a file the tools
 * could read (inside the workspace and the focus, not secret, not ignored), all of them within
 * one mapper's budget. It joins the last first-level reducer with room for another input (fewer
 * than `fanIn`); with none, it cannot be placed without redrawing the tree, and is refused.
 * The plan's globs stay as planned; selection.json lists the mapper and its files.
 */
export async function addMapper(plan: MapReducePlan, leaf: LeafRequest, ctx: AddLeafContext): Promise<AddedLeaf<MapReducePlan>> {
  if (leaf.group !== MAP_GROUP) return { ok: false, errors: [`A map-reduce run's mappers are in the group "${MAP_GROUP}"; got "${leaf.group}"`] };
  const errors: string[] = [];
  if (leaf.scope.length === 0) errors.push('A mapper needs at least one file in its scope');
  if (leaf.scope.length > plan.filesPerMapper) errors.push(`A mapper answers for at most ${plan.filesPerMapper} files (filesPerMapper); got ${leaf.scope.length}`);
  const guard = { workspace: ctx.workspace, outputRoot: ctx.config.outputRoot, includeIgnored: ctx.config.includeIgnored, exclude: ctx.config.exclude, secretFiles: ctx.config.secretFiles };
  let bytes = 0;
  let tokens = 0;
  for (const file of leaf.scope) {
    if (!withinFocus(file, ctx.focus)) { errors.push(`"${file}" is outside the focus (${ctx.focus.join(', ')})`); continue; }
    if (!ctx.scopeExists(file)) { errors.push(`"${file}" does not exist in the workspace or may not be read`); continue; }
    try {
      const st = statSyncOrNull(guardPathSync(guard, file).abs);
      if (!st?.isFile()) { errors.push(`"${file}" is not a file; a mapper is sent whole files`); continue; }
      bytes += st.size;
      tokens += Math.ceil(st.size / 4) + FILE_WRAPPER_TOKENS;
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (tokens > plan.mapperTokens) errors.push(`The files come to about ${fmtTokens(tokens)} tokens; one mapper is sent at most ${fmtTokens(plan.mapperTokens)} (mapperTokens)`);
  const reducers = ctx.agents.filter((a) => a.role === 'reducer' && a.domain === reduceGroup(1));
  const host = [...reducers].reverse().find((r) => r.dependsOn.length < plan.fanIn);
  if (!host) {
    errors.push(reducers.length === 0
      ? 'This run has a single mapper and no reducer to combine a second one with it; plan the task again with the extra files'
      : `Every first-level reducer already combines ${plan.fanIn} outputs (fanIn); plan the task again with the extra files`);
  }
  if (errors.length || !host) return { ok: false, errors };

  let n = 0;
  for (const a of ctx.agents) {
    const m = /^m(\d+)$/.exec(a.id);
    if (m) n = Math.max(n, Number(m[1]));
  }
  const id = mapperId(n + 1);
  const span = leaf.scope.length === 1 ? leaf.scope[0] : `${leaf.scope[0]} … ${leaf.scope[leaf.scope.length - 1]}`;
  const agent = agentRecord(ctx.config, {
    id, role: 'mapper', domain: MAP_GROUP, tier: leaf.tier,
    task: `${leaf.task} (${plural(leaf.scope.length, 'file')}, ${formatBytes(bytes)}, ~${fmtTokens(tokens)} tokens: ${span})`,
    scope: leaf.scope, dependsOn: [], outputFile: `mappers/${id}.md`,
  });
  const artifacts: Record<string, string> = {};
  const selectionText = await readTextOrNull(path.join(ctx.runDir, SELECTION_FILE)).catch(() => null);
  if (selectionText !== null) {
    try {
      const sel = JSON.parse(selectionText) as SelectionFile;
      sel.mappers.push({ id, tokens, files: leaf.scope });
      sel.selectedFiles += leaf.scope.length;
      sel.selectedTokens += tokens;
      const level = sel.reducers[0]?.find((r) => r.id === host.id);
      level?.inputs.push(id);
      artifacts[SELECTION_FILE] = `${JSON.stringify(sel, null, 1)}\n`;
    } catch { /* an unreadable selection.json stays as it is; the ledger holds the mapper */ }
  }
  return { ok: true, plan, agent, dependents: [{ id: host.id, dependsOn: [...host.dependsOn, id] }], artifacts };
}
