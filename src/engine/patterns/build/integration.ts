/**
 * The check on the assembled tree (DESIGN §4d): the `integration` step merges the approved
 * builders' branches into the run's integration worktree and runs the check command there; the
 * `fix` step gives a fixer agent bounded rounds to repair a failing check, editing only files the
 * change already touched. Both keep `integration.json` (pipelineFiles.ts) and their logs in
 * `checks/integration-<round>.log`.
 */
import * as path from 'node:path';
import { readTextOrNull, writeFileAtomic } from '../../files';
import {
  assemble, branchName, commitWorktree, diffFiles, ensureWorktree, patchBetween, repoInfo, type RepoInfo,
} from '../../git';
import { converse } from '../../run/converse';
import { trimToSentence } from '../../text';
import { toolDefinitions } from '../../tools/tools';
import { SENTINEL, type AgentRecord } from '../../types';
import { conversationBase, toolContext } from '../kit';
import type { AttemptResult, RoleContext } from '../pattern';
import { runCheck, type CheckResult } from './checks';
import { INTEGRATION_AGENT_ID, reviewerId } from './compile';
import { INTEGRATION_FILE, IntegrationResultSchema, readRunJson, type IntegrationResult } from '../../pipelineFiles';
import type { BuildPlan } from './plan';
import { readReview, rejectBuilder } from './review';
import { plural } from '../../../shared/words';

type Ctx = RoleContext<BuildPlan>;

export const integrationLog = (round: number): string => `checks/integration-${round}.log`;
/** How the fix step's failure starts, so a retry of it knows the rounds were spent and does not spend more. */
export const INTEGRATION_FAILED = 'Integration failed';
/** How much of the combined diff a fixer reads; a longer one is cut with a note. */
const DIFF_CHARS = 60_000;
const TAIL_CHARS = 4_000;

/** A command as a one-sentence return quotes it: a long one is cut (the log has it whole). */
export const shortCommand = (command: string): string => (command.length > 60 ? `${command.slice(0, 59)}…` : command);

/** The run's integration worktree, with the workspace's links (node_modules) so the check can run there. */
export async function integrationTree(ctx: Ctx): Promise<{ repo: RepoInfo; root: string; workspace: string; branch: string }> {
  const repo = await repoInfo(ctx.workspace);
  const wt = await ensureWorktree({
    repo, runId: ctx.runId, agentId: INTEGRATION_AGENT_ID, base: ctx.plan.base, rootOverride: ctx.config.worktreesDir, linkDirs: ctx.config.worktreeLinks,
  });
  return { repo, ...wt };
}

export const readIntegration = (runDir: string): Promise<IntegrationResult | null> => readRunJson(runDir, INTEGRATION_FILE, IntegrationResultSchema);

export async function writeIntegration(runDir: string, r: IntegrationResult): Promise<void> {
  await writeFileAtomic(path.join(runDir, INTEGRATION_FILE), `${JSON.stringify(IntegrationResultSchema.parse(r), null, 2)}\n`);
}

/** The builders whose change is approved (completed and `approve`d by their reviewer), in plan order. */
export async function approvedBuilders(ctx: Ctx): Promise<string[]> {
  const approved: string[] = [];
  for (const b of ctx.plan.builders) {
    const a = ctx.ledger.get(b.id);
    if (a?.status === 'completed' && (await readReview(ctx.runDir, b.id))?.verdict === 'approve') approved.push(b.id);
  }
  return approved;
}

/** Why each builder of the plan is not in the assembled change, one markdown line each. */
export function leftOut(ctx: Ctx, merged: readonly string[]): string[] {
  return ctx.plan.builders.filter((b) => !merged.includes(b.id)).map((b) => {
    const a = ctx.ledger.get(b.id);
    return `- **${b.id}**: ${a?.status === 'completed' ? `not approved by ${reviewerId(b.id)}` : `${a?.status ?? 'missing'}${a?.error ? ` — ${a.error}` : ''}`}`;
  });
}

/** One check run on the integration worktree, logged and counted; the round as integration.json keeps it. */
export async function checkIntegration(ctx: Ctx, agentId: string, cwd: string, round: number, signal: AbortSignal): Promise<{ check: CheckResult; round: IntegrationResult['rounds'][number] }> {
  const command = ctx.config.verifyCommand!;
  const log = integrationLog(round);
  const check = await runCheck({ command, cwd, timeoutMs: ctx.config.verifyTimeoutMs, logFile: path.join(ctx.runDir, log), signal });
  ctx.ledger.countRedactions(agentId, check.redactions);
  signal.throwIfAborted();
  ctx.ledger.log(check.ok ? 'info' : 'warn', `${agentId}: \`${command}\` on the assembled tree ${verdictOf(ctx, check)} in ${check.ms} ms (${log})`);
  return { check, round: { round, ok: check.ok, code: check.code, timedOut: check.timedOut, log, ms: Math.round(check.ms) } };
}

function verdictOf(ctx: Ctx, c: Pick<CheckResult, 'ok' | 'timedOut' | 'code'>): string {
  if (c.ok) return 'passed';
  return c.timedOut ? `timed out after ${Math.round(ctx.config.verifyTimeoutMs / 1000)} s` : `failed with exit code ${c.code ?? 'none (killed)'}`;
}

/**
 * The `integration` step (an engine step, no model): merges the approved branches, in plan order,
 * into the integration worktree (a conflict leaves that builder out as a named gap), then runs the
 * check command there. A failing check is this step's finding, not its failure: the fix step
 * that follows repairs it or marks the change "integration failed".
 */
export async function attemptIntegration(ctx: Ctx, agent: AgentRecord, _previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const repo = await repoInfo(ctx.workspace);
  const approved = await approvedBuilders(ctx);
  const result = await assemble({
    repo, runId: ctx.runId, into: INTEGRATION_AGENT_ID, base: ctx.plan.base, rootOverride: ctx.config.worktreesDir, linkDirs: ctx.config.worktreeLinks,
    branches: approved.map((id) => ({ agentId: id, branch: branchName(ctx.runId, id) })),
  });
  for (const c of result.conflicts) {
    await rejectBuilder(ctx, c.agentId, `its branch conflicts with earlier builders' changes in ${c.files.join(', ') || 'some files'}; it is not in changes.patch`);
  }
  const command = ctx.config.verifyCommand;
  const base = { command, ref: result.ref, merged: result.merged, conflicts: result.conflicts, fixes: [] };
  let state: IntegrationResult;
  let returned: string;
  if (result.merged.length === 0) {
    state = { ...base, status: 'nothing-merged', rounds: [] };
    returned = 'No builder\'s change was approved and merged, so there is nothing to check.';
  } else if (!command) {
    state = { ...base, status: 'no-check', rounds: [] };
    returned = `Merged ${plural(result.merged.length, 'builder')}; no check command is set (setting verifyCommand), so the assembled tree was not checked.`;
  } else {
    const cwd = result.worktree ? path.join(result.worktree, repo.workspaceInRepo) : (await integrationTree(ctx)).workspace;
    const { check, round } = await checkIntegration(ctx, agent.id, cwd, 0, signal);
    state = { ...base, status: check.ok ? 'passed' : 'failed', rounds: [round] };
    returned = check.ok
      ? `Merged ${plural(result.merged.length, 'builder')}; \`${shortCommand(command)}\` passed on the assembled tree.`
      : `Merged ${plural(result.merged.length, 'builder')}; \`${shortCommand(command)}\` ${verdictOf(ctx, check)} on the assembled tree (${round.log}), so the fixer takes it.`;
  }
  await writeIntegration(ctx.runDir, state);
  await writeFileAtomic(path.join(ctx.runDir, agent.outputFile), integrationReport(ctx, state, returned));
  return { ok: true, returned: returned.slice(0, 200) };
}

function integrationReport(ctx: Ctx, s: IntegrationResult, sentence: string): string {
  return [
    '# Integration check', '', sentence, '',
    `Integration branch \`${branchName(ctx.runId, INTEGRATION_AGENT_ID)}\` at \`${s.ref.slice(0, 12)}\`, from base \`${ctx.plan.base.slice(0, 12)}\`.`, '',
    ...(s.merged?.length ? ['Merged: ' + s.merged.map((id) => `**${id}**`).join(', '), ''] : []),
    ...(s.conflicts ?? []).map((c) => `- Left out: ${c.message}`),
    ...s.rounds.map((r) => `- Round ${r.round}: ${r.ok ? 'passed' : r.timedOut ? 'timed out' : `failed (exit ${r.code ?? 'none'})`}, [log](${r.log})`),
    '', SENTINEL, '',
  ].join('\n');
}

/** The end of a round's log (what the fixer reads), or a note when it is gone. */
async function logTail(runDir: string, log: string): Promise<string> {
  const text = await readTextOrNull(path.join(runDir, log));
  if (text === null) return `(${log} is missing)`;
  return text.length > TAIL_CHARS ? `…${text.slice(-TAIL_CHARS)}` : text;
}

/**
 * The `fix` step. When the integration check failed, a fixer agent gets the failing output and the
 * combined diff, may edit only the files the change touched, in the integration worktree; the
 * engine commits its edit and runs the check again, for at most `fixRounds` rounds. Still failing
 * → integration.json says `failed` and this step fails with the logs named (a gap: the run is
 * partial and the change is never silently shippable). Nothing failed → it completes at no cost.
 */
export async function attemptFix(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const state = await readIntegration(ctx.runDir);
  if (!state) return { ok: false, error: `${INTEGRATION_FILE} is missing or unreadable: the integration step did not finish` };
  if (state.status !== 'failed') {
    const why = state.status === 'passed' ? `\`${shortCommand(state.command ?? '')}\` passed on the assembled tree`
      : state.status === 'no-check' ? 'no check command is set' : 'no builder\'s change was merged';
    const returned = `Nothing to fix: ${why}.`;
    await writeFileAtomic(path.join(ctx.runDir, agent.outputFile), `# Fixer\n\n${returned}\n\n${SENTINEL}\n`);
    return { ok: true, returned };
  }
  // A retry after the rounds ran out would only spend more on the same failure.
  if (previousError?.startsWith(INTEGRATION_FAILED)) return { ok: false, error: previousError };
  const wt = await integrationTree(ctx);
  const touched = (await diffFiles(wt.repo.root, ctx.plan.base, state.ref)).map((f) => f.path);
  const fixes = [...(state.fixes ?? [])];
  let current = state;
  for (let n = 1; n <= ctx.config.fixRounds; n++) {
    signal.throwIfAborted();
    const last = current.rounds[current.rounds.length - 1];
    const patch = await patchBetween(wt.repo.root, ctx.plan.base, current.ref);
    const result = await converse({
      ...conversationBase(ctx, agent, signal),
      system: ctx.prompts.render('build/fixer', {}),
      userBlock: ctx.prompts.render('build/fixer-user', {
        task: ctx.plan.task, round: n, rounds: ctx.config.fixRounds, command: state.command ?? '',
        verdict: last ? (last.timedOut ? 'it timed out' : `exit code ${last.code ?? 'none'}`) : 'failed',
        tail: last ? await logTail(ctx.runDir, last.log) : '', touched: touched.map((f) => `- ${f}`).join('\n'),
        diff: patch.length > DIFF_CHARS ? `${patch.slice(0, DIFF_CHARS)}\n[diff cut at ${DIFF_CHARS} characters]` : patch,
        retryNote: previousError && n === 1 ? `\n(Your previous attempt failed: ${previousError})\n` : '',
      }),
      tools: toolDefinitions({ builder: true }),
      toolCtx: { ...toolContext(ctx, agent), workspace: wt.workspace, builder: { owned: touched } },
    });
    const note = trimToSentence(result.text) || 'Done.';
    const commit = await commitWorktree(wt.root, `fix: round ${fixes.length + 1} of the integration check: ${note}`.slice(0, 200));
    const files = commit ? (await diffFiles(wt.repo.root, current.ref, commit)).map((f) => f.path) : [];
    fixes.push({ round: fixes.length + 1, note, files });
    if (commit) current = { ...current, ref: commit };
    if (/^failed\b/i.test(note) || !commit) {
      current = { ...current, fixes };
      await writeIntegration(ctx.runDir, current);
      break;
    }
    const { round } = await checkIntegration(ctx, agent.id, wt.workspace, current.rounds.length, signal);
    current = { ...current, status: round.ok ? 'passed' : 'failed', rounds: [...current.rounds, round], fixes };
    await writeIntegration(ctx.runDir, current);
    if (round.ok) {
      const returned = `Repaired the assembled tree in ${plural(n, 'round')}: ${note.replace(/^done\.\s*/i, '')}`.trim();
      await writeFileAtomic(path.join(ctx.runDir, agent.outputFile), fixReport(current, returned, true));
      return { ok: true, returned: returned.slice(0, 200) };
    }
  }
  const logs = current.rounds.map((r) => r.log).join(', ');
  const error = `${INTEGRATION_FAILED}: \`${state.command}\` still fails on the assembled tree after ${plural(fixes.length - (state.fixes?.length ?? 0), 'fixer round')} (logs: ${logs}); the change is not shippable`;
  await writeFileAtomic(path.join(ctx.runDir, agent.outputFile), fixReport(current, error, false));
  return { ok: false, error };
}

function fixReport(s: IntegrationResult, sentence: string, done: boolean): string {
  return [
    '# Fixer', '', sentence, '',
    ...(s.fixes ?? []).map((f) => `- Round ${f.round}: ${f.note}${f.files.length ? ` (changed ${f.files.map((x) => `\`${x}\``).join(', ')})` : ' (no file changed)'}`),
    ...s.rounds.map((r) => `- Check ${r.round}: ${r.ok ? 'passed' : r.timedOut ? 'timed out' : `failed (exit ${r.code ?? 'none'})`}, [log](${r.log})`),
    // Without the sentinel, resume gives a failed fix step another go instead of trusting it.
    ...(done ? ['', SENTINEL] : []), '',
  ].join('\n');
}
