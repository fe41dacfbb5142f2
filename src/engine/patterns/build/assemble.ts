import * as path from 'node:path';
import { commitExists, branchName, mergeIntoIntegration, recordChanges, repoInfo, resolveCommit, type RepoInfo } from '../../git';
import { readTextOrNull, writeFileAtomic } from '../../files';
import { estimateTokens } from '../../text';
import { SENTINEL, type AgentRecord } from '../../types';
import type { AttemptResult, RoleContext } from '../pattern';
import { reviseBuilder } from './builder';
import { FIX_ID, INTEGRATION_AGENT_ID } from './compile';
import { countLine, HARDENER_IDS, readHardener } from './harden';
import { checkIntegration, INTEGRATION_FAILED, integrationTree, leftOut, readIntegration, writeIntegration } from './integration';
import { HardenTallySchema, TALLY_FILE, type HardenFinding, type HardenTally, type IntegrationResult } from '../../pipelineFiles';
import type { BuildPlan } from './plan';
import { changeStat, integrationFailed, renderBuildSummary } from './summary';
import { plural } from '../../../shared/words';
import { findingsSection } from './findingOutcomes';

type Ctx = RoleContext<BuildPlan>;

/**
 * The engine's last step of a build: major hardening findings go to one fix round by the builder
 * that owns the file (its revised branch merged again into the integration branch and the check
 * run again), then harden/tally.json, changes.patch and changes.json from the integration branch
 * (the fixer's commits included), and summary.md. Nothing touches the user's working tree, index
 * or branch: that waits for Apply or Ship.
 */
export async function attemptAssemble(ctx: Ctx, agent: AgentRecord, signal: AbortSignal): Promise<AttemptResult> {
  const repo = await repoInfo(ctx.workspace);
  let integration = await readIntegration(ctx.runDir);
  const merged = integration?.merged ?? [];
  const tally = await collectTally(ctx);
  if (integration && merged.length) integration = await fixMajors(ctx, agent, repo, integration, tally, signal);
  await writeFileAtomic(path.join(ctx.runDir, TALLY_FILE), `${JSON.stringify(HardenTallySchema.parse(tally), null, 2)}\n`);
  const ref = integration && merged.length ? integration.ref : null;
  const cs = await recordChanges({
    repo, runDir: ctx.runDir, base: ctx.plan.base,
    assembled: ref ? { ref, merged: [...merged], conflicts: integration?.conflicts ?? [] } : null,
    builders: ctx.plan.builders.map((b) => ({ agentId: b.id, branch: branchName(ctx.runId, b.id) })),
  });
  const builderLines = merged.map((id) => `- **${id}** (${ctx.plan.builders.find((b) => b.id === id)?.task.slice(0, 80) ?? id}): ${ctx.ledger.get(id)?.returned ?? ''} Review: [reviews/${id}.md](reviews/${id}.md).`);
  await writeFileAtomic(path.join(ctx.runDir, agent.outputFile), renderBuildSummary({
    task: ctx.plan.task, runId: ctx.runId, base: ctx.plan.base, files: cs.files, merged, left: leftOut(ctx, merged), builderLines, integration, tally,
    findings: await findingsSection(ctx.runDir, ctx.plan.builders, ctx.ledger, merged),
  }));
  if (!merged.length) return { ok: true, returned: 'No builder\'s change was approved, so there is nothing to apply.' };
  const blocked = [integrationFailed(integration) && 'integration failed', tally.critical > 0 && `${plural(tally.critical, 'critical finding')} ${tally.critical === 1 ? 'blocks' : 'block'} Ship`].filter(Boolean);
  return {
    ok: true,
    returned: `${changeStat(cs.files)} from ${plural(merged.length, 'builder')}${blocked.length ? `; ${blocked.join(', ')}` : ', ready to review and apply'}.`,
  };
}

/** Every hardener's findings, counted; `enabled: false` when the approved plan has no hardeners (hardening was off). */
async function collectTally(ctx: Ctx): Promise<HardenTally> {
  // The plan as approved decides, not the setting now: it may have changed since.
  if (!HARDENER_IDS.some((id) => ctx.ledger.get(id))) return { enabled: false, critical: 0, major: 0, minor: 0, findings: [] };
  const findings: HardenFinding[] = [];
  for (const id of HARDENER_IDS) findings.push(...((await readHardener(ctx.runDir, id))?.findings ?? []));
  const count = (s: HardenFinding['severity']): number => findings.filter((f) => f.severity === s).length;
  return { enabled: true, critical: count('critical'), major: count('major'), minor: count('minor'), findings };
}

/**
 * One fix round per builder that owns a file with a major finding: the builder revises with the
 * findings as its review, its branch is merged again into the integration branch, and the check
 * runs again (failing → integration failed). Each finding ends `fixed` or `not-fixed`; the
 * tally is updated in place.
 */
async function fixMajors(ctx: Ctx, agent: AgentRecord, repo: RepoInfo, integration: IntegrationResult, tally: HardenTally, signal: AbortSignal): Promise<IntegrationResult> {
  const majors = tally.findings.filter((f) => f.severity === 'major' && f.owner && integration.merged?.includes(f.owner));
  const owners = [...new Set(majors.map((f) => f.owner!))];
  let state = integration;
  let remerged = false;
  for (const owner of owners) {
    signal.throwIfAborted();
    const mine = majors.filter((f) => f.owner === owner);
    for (const f of mine) f.status = 'sent';
    const builder = ctx.ledger.get(owner);
    if (!builder) continue;
    const branch = branchName(ctx.runId, owner);
    const before = (await commitExists(repo.root, branch)) ? await resolveCommit(repo.root, branch) : null;
    ctx.ledger.log('info', `${agent.id}: ${plural(mine.length, 'major finding')} on ${owner}'s files; ${owner} gets one fix round`);
    ctx.ledger.transition(owner, 'running', { attempts: builder.attempts + 1 });
    const previous = builder.returned;
    let outcome: AttemptResult;
    try {
      outcome = await reviseBuilder(ctx, builder, findingsText(mine), signal);
    } catch (err) {
      signal.throwIfAborted();
      outcome = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    // The builder's approved change stays in whatever its revision did: it completed before.
    if (outcome.ok) ctx.ledger.setReturn(owner, outcome.returned, estimateTokens(outcome.returned));
    ctx.ledger.transition(owner, 'completed', { error: null });
    if (!outcome.ok && previous) ctx.ledger.setReturn(owner, previous, estimateTokens(previous));
    const after = (await commitExists(repo.root, branch)) ? await resolveCommit(repo.root, branch) : null;
    if (!outcome.ok || after === before) {
      for (const f of mine) f.status = 'not-fixed';
      ctx.ledger.log('warn', `${agent.id}: ${owner}'s fix round ${outcome.ok ? 'changed nothing' : `failed: ${outcome.error}`}`);
      continue;
    }
    const m = await mergeIntoIntegration({
      repo, runId: ctx.runId, into: INTEGRATION_AGENT_ID, base: ctx.plan.base, rootOverride: ctx.config.worktreesDir, linkDirs: ctx.config.worktreeLinks, agentId: owner, branch,
    });
    if (!m.ok) {
      for (const f of mine) f.status = 'not-fixed';
      ctx.ledger.log('warn', `${agent.id}: ${owner}'s fix did not merge into the integration branch: ${m.conflict.message}`);
      continue;
    }
    for (const f of mine) f.status = 'fixed';
    state = { ...state, ref: m.ref };
    remerged = true;
  }
  if (remerged && state.command && (state.status === 'passed' || state.status === 'failed')) {
    const wt = await integrationTree(ctx);
    const { round } = await checkIntegration(ctx, agent.id, wt.workspace, state.rounds.length, signal);
    state = { ...state, status: round.ok ? 'passed' : 'failed', rounds: [...state.rounds, round] };
    if (!round.ok) {
      await markIntegrationFailed(ctx, `${INTEGRATION_FAILED}: \`${state.command}\` fails on the assembled tree after the hardening fixes (${round.log}); the change is not shippable`);
      for (const f of majors) if (f.status === 'fixed') f.status = 'not-fixed';
    }
  }
  if (remerged) await writeIntegration(ctx.runDir, state);
  return state;
}

/** The fix step stands for the integration check's verdict: failed, with the reason, and no sentinel (resume tries again). */
async function markIntegrationFailed(ctx: Ctx, reason: string): Promise<void> {
  const fix = ctx.ledger.get(FIX_ID);
  if (!fix) return;
  ctx.ledger.transition(FIX_ID, 'failed', { error: reason });
  const file = path.join(ctx.runDir, fix.outputFile);
  const text = (await readTextOrNull(file)) ?? '# Fixer\n';
  await writeFileAtomic(file, `${text.replace(SENTINEL, '').trimEnd()}\n\n## ${INTEGRATION_FAILED}\n\n${reason}\n`);
}

const findingsText = (fs: readonly HardenFinding[]): string =>
  [`An audit of the combined change found ${countLine(fs)} in your files. Fix each one:`,
    ...fs.map((f) => `- ${f.file ?? ''}${f.line ? `:${f.line}` : ''} (${f.concern}): ${f.text}`)].join('\n');
