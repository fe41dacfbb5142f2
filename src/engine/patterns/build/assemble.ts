import * as path from 'node:path';
import { writeFileAtomic } from '../../files';
import { assemble, branchName, CHANGES_PATCH, recordChanges, repoInfo, type FileChange } from '../../git';
import { SENTINEL, type AgentRecord } from '../../types';
import type { AttemptResult, RoleContext } from '../pattern';
import { reviewerId } from './compile';
import type { BuildPlan } from './plan';
import { readReview, rejectBuilder } from './review';
import { plural } from '../../../shared/words';
import { findingsSection } from '../../findings/outcome';

type Ctx = RoleContext<BuildPlan>;

const stat = (files: readonly FileChange[]): string =>
  `${plural(files.length, 'file')}, +${files.reduce((n, f) => n + f.added, 0)} −${files.reduce((n, f) => n + f.removed, 0)}`;

/**
 * The engine's last step of a build (no model call): merges the approved builders' branches, in
 * plan order, into one integration branch; a conflict leaves that builder out as a named gap,
 * never a silent overwrite. Writes changes.patch, the per-builder patches, changes.json and summary.md. Nothing touches the
 * user's working tree, index or branch: that waits for Apply.
 */
export async function attemptAssemble(ctx: Ctx, agent: AgentRecord): Promise<AttemptResult> {
  const repo = await repoInfo(ctx.workspace);
  const approved: string[] = [];
  const left: string[] = [];
  for (const b of ctx.plan.builders) {
    const a = ctx.ledger.get(b.id);
    const review = await readReview(ctx.runDir, b.id);
    if (a?.status === 'completed' && review?.verdict === 'approve') approved.push(b.id);
    else left.push(`- **${b.id}**: ${a?.status === 'completed' ? `not approved by ${reviewerId(b.id)}` : `${a?.status ?? 'missing'}${a?.error ? ` — ${a.error}` : ''}`}`);
  }
  const result = await assemble({
    repo, runId: ctx.runId, base: ctx.plan.base, rootOverride: ctx.config.worktreesDir,
    branches: approved.map((id) => ({ agentId: id, branch: branchName(ctx.runId, id) })),
  });
  for (const c of result.conflicts) {
    await rejectBuilder(ctx, c.agentId, `its branch conflicts with earlier builders' changes in ${c.files.join(', ') || 'some files'}; it is not in ${CHANGES_PATCH}`);
    left.push(`- **${c.agentId}**: merge conflict in ${c.files.map((f) => `\`${f}\``).join(', ')}`);
  }
  const cs = await recordChanges({
    repo, runDir: ctx.runDir, base: ctx.plan.base, assembled: result.merged.length ? result : null,
    builders: ctx.plan.builders.map((b) => ({ agentId: b.id, branch: branchName(ctx.runId, b.id) })),
  });
  const files = cs.files;
  await writeFileAtomic(path.join(ctx.runDir, agent.outputFile), summary(ctx, files, result.merged, left, await findingsSection(ctx.runDir, ctx.plan.builders, ctx.ledger, result.merged)));
  return {
    ok: true,
    returned: result.merged.length
      ? `${stat(files)} from ${plural(result.merged.length, 'builder')}, ready to review and apply.`
      : 'No builder\'s change was approved, so there is nothing to apply.',
  };
}

function summary(ctx: Ctx, files: readonly FileChange[], merged: readonly string[], left: readonly string[], findings: readonly string[]): string {
  const lines = [
    `# Build: ${ctx.plan.task}`, '',
    merged.length
      ? `**Proposed change: ${stat(files)}**, from ${merged.map((id) => `**${id}**`).join(', ')}, against commit \`${ctx.plan.base.slice(0, 12)}\`. Nothing has been written to your working tree.`
      : '**No change to apply**: no builder\'s change was approved.',
    '',
  ];
  if (files.length) {
    lines.push('## Files', '', '| File | Change | Added | Removed |', '| --- | --- | --- | --- |',
      ...files.map((f) => `| \`${f.path}\` | ${f.status} | +${f.added} | −${f.removed} |`), '');
  }
  for (const id of merged) {
    const a = ctx.ledger.get(id);
    lines.push(`- **${id}** (${builderSpecTask(ctx, id)}): ${a?.returned ?? ''} Review: [reviews/${id}.md](reviews/${id}.md).`);
  }
  if (left.length) lines.push('', '## Left out', '', ...left);
  if (findings.length) lines.push('', ...findings);
  if (merged.length) {
    lines.push('', '## Apply or discard', '',
      `The whole change is in [${CHANGES_PATCH}](${CHANGES_PATCH}). In VS Code, open a file under **Changes** in the Ledger to see its diff, then **Apply Changes** or **Discard Changes**. From a terminal, the CLI's \`diff\`, \`apply\` and \`discard\` commands take this run's id, \`${ctx.runId}\`, with \`--workspace\` naming this workspace (see the README's CLI section for how to start the CLI where you are).`);
  }
  lines.push('', SENTINEL, '');
  return lines.join('\n');
}

const builderSpecTask = (ctx: Ctx, id: string): string => ctx.plan.builders.find((b) => b.id === id)?.task.slice(0, 80) ?? id;
