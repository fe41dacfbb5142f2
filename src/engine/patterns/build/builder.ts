import * as path from 'node:path';
import { writeFileAtomic } from '../../files';
import { commitWorktree, diffFiles, ensureWorktree, repoInfo, writePatch, type FileChange, type RepoInfo } from '../../git';
import { converse } from '../../run/converse';
import { trimToSentence } from '../../text';
import { toolDefinitions } from '../../tools/tools';
import { SENTINEL, type AgentRecord } from '../../types';
import { conversationBase, toolContext } from '../kit';
import type { AttemptResult, RoleContext } from '../pattern';
import { builderPatch, checksLog } from './compile';
import { runCheck, type CheckResult } from './checks';
import { architectureSection } from './architect';
import { scoutFindings } from './findings';
import { loadMemoryBlock } from '../../memory/budget';
import { buildBase } from './scaffold';
import type { BuildPlan, BuilderSpec } from './plan';
import { plural } from '../../../shared/words';

type Ctx = RoleContext<BuildPlan>;

export function builderSpec(ctx: Ctx, id: string): BuilderSpec {
  const spec = ctx.plan.builders.find((b) => b.id === id);
  if (!spec) throw new Error(`Builder ${id} is not in the plan`);
  return spec;
}

/**
 * The builder's worktree, created on first use from `buildBase` (the plan's base, or a greenfield
 * build's scaffold commit) and reused as it is after that: resume continues there.
 */
export async function worktreeOf(ctx: Ctx, agentId: string): Promise<{ repo: RepoInfo; root: string; workspace: string; branch: string; base: string }> {
  const repo = await repoInfo(ctx.workspace);
  const base = await buildBase(ctx);
  const wt = await ensureWorktree({
    repo, runId: ctx.runId, agentId, base, rootOverride: ctx.config.worktreesDir, linkDirs: ctx.config.worktreeLinks,
  });
  return { repo, base, ...wt };
}

/**
 * A builder: changes only the files it owns, with the read tools plus write_file, edit_file and
 * delete_file, all confined to its own worktree (nothing reaches the user's tree). Then the engine
 * runs the verification command there (if set), commits on the builder's branch, and writes the
 * builder's patch and report. A failed check fails the attempt with the output's tail, so the
 * retry sees what broke; the edits stay in the worktree for it.
 */
export async function attemptBuilder(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const note = previousError ? `\nYour previous attempt failed: ${previousError}\nFix that this time; your edits so far are still in your files.\n` : '';
  return buildOnce(ctx, agent, note, signal);
}

/** Another attempt after a reviewer asked for changes, with the review as the instruction. */
export function reviseBuilder(ctx: Ctx, agent: AgentRecord, review: string, signal: AbortSignal): Promise<AttemptResult> {
  return buildOnce(ctx, agent, `\n# Review of your change\nA reviewer asked for changes. Address every point, then reply as before.\n${review}\n`, signal);
}

async function buildOnce(ctx: Ctx, agent: AgentRecord, note: string, signal: AbortSignal): Promise<AttemptResult> {
  const spec = builderSpec(ctx, agent.id);
  const wt = await worktreeOf(ctx, agent.id);
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system: ctx.prompts.render('build/builder', {}),
    sharedBlock: ctx.prompts.render('build/builder-shared', {
      task: ctx.plan.task, brief: ctx.plan.brief || '(none)',
      findings: `${await scoutFindings(ctx.runDir, ctx.ledger, ctx.plan)}${await architectureSection(ctx)}`,
      memory: (await loadMemoryBlock(ctx.workspace, ctx.config)).block,
    }),
    userBlock: ctx.prompts.render('build/builder-user', {
      agentId: agent.id, agentTask: spec.task, owns: spec.owns.map((f) => `- ${f}`).join('\n'), retryNote: note,
    }),
    tools: toolDefinitions({ builder: true }),
    toolCtx: { ...toolContext(ctx, agent), workspace: wt.workspace, builder: { owned: spec.owns } },
  });
  ctx.ledger.transition(agent.id, 'verifying');
  const sentence = trimToSentence(result.text);
  if (/^failed\b/i.test(sentence)) return { ok: false, error: `the builder reported: ${sentence}` };
  return settleBuilder(ctx, agent, wt, sentence, signal);
}

/** Checks, commit, patch, numbers and report of a builder whose model says it is done. */
async function settleBuilder(
  ctx: Ctx, agent: AgentRecord, wt: Awaited<ReturnType<typeof worktreeOf>>, sentence: string, signal: AbortSignal,
): Promise<AttemptResult> {
  let check: CheckResult | null = null;
  if (ctx.config.verifyCommand) {
    check = await runCheck({
      command: ctx.config.verifyCommand, cwd: wt.workspace, timeoutMs: ctx.config.verifyTimeoutMs,
      logFile: path.join(ctx.runDir, checksLog(agent.id)), signal,
    });
    ctx.ledger.countRedactions(agent.id, check.redactions);
    signal.throwIfAborted();
    ctx.ledger.log(check.ok ? 'info' : 'warn', `${agent.id}: \`${ctx.config.verifyCommand}\` ${check.ok ? 'passed' : check.timedOut ? 'timed out' : `failed (exit ${check.code})`} in ${check.ms} ms`);
    if (!check.ok) {
      return { ok: false, error: `the verification command \`${ctx.config.verifyCommand}\` ${check.timedOut ? 'timed out' : `failed with exit code ${check.code}`} (full output in ${checksLog(agent.id)}); its output ends with:\n${check.tail}` };
    }
  }
  await commitWorktree(wt.root, `${agent.id}: ${builderSpec(ctx, agent.id).task}`.slice(0, 200));
  // The builder's own change: from its branch point, so a greenfield builder's diff leaves out the scaffold.
  const files = await diffFiles(wt.repo.root, wt.base, wt.branch);
  if (files.length === 0) {
    return { ok: false, error: 'no file was changed; make the change with write_file, edit_file or delete_file, or reply "Failed." with why it cannot be made' };
  }
  await writePatch(wt.repo.root, wt.base, wt.branch, path.join(ctx.runDir, builderPatch(agent.id)));
  const added = files.reduce((n, f) => n + f.added, 0);
  const removed = files.reduce((n, f) => n + f.removed, 0);
  ctx.ledger.setChanges(agent.id, { files: files.map((f) => f.path), added, removed });
  await writeFileAtomic(path.join(ctx.runDir, agent.outputFile), builderReport(ctx, agent, wt, files, check, sentence));
  return { ok: true, returned: `Changed ${plural(files.length, 'file')} (+${added} −${removed}). ${sentence.replace(/^done\.\s*/i, '')}`.trim() };
}

function builderReport(ctx: Ctx, agent: AgentRecord, wt: { branch: string; root: string }, files: FileChange[], check: CheckResult | null, sentence: string): string {
  const rows = files.map((f) => `| \`${f.path}\` | ${f.status} | ${f.binary ? '–' : `+${f.added}`} | ${f.binary ? '–' : `−${f.removed}`} |`);
  const checks = check
    ? `\`${ctx.config.verifyCommand}\` passed in ${Math.round(check.ms / 100) / 10} s ([log](../${checksLog(agent.id)})).`
    : 'No verification command is set (setting `verifyCommand`).';
  return [
    `# Builder ${agent.id}`, '', builderSpec(ctx, agent.id).task, '',
    `Branch \`${wt.branch}\`, worktree \`${wt.root}\`; patch [${builderPatch(agent.id)}](../${builderPatch(agent.id)}).`, '',
    '## Changes', '', '| File | Change | Added | Removed |', '| --- | --- | --- | --- |', ...rows, '',
    '## Checks', '', checks, '', '## Builder\'s note', '', sentence, '', SENTINEL, '',
  ].join('\n');
}
