/**
 * Greenfield's first step after approval (issue 17 item 5): the scaffold agent writes the shared
 * skeleton (manifest, shared types, each module's entry file with its interface stubbed) in its own
 * worktree from the plan's base; the engine checks it conforms and commits it. Builders depend on
 * the scaffold and branch from its commit (`buildBase`), so they all build against one skeleton.
 *
 * Conformance, decided here: (1) always, a structural check that runs no code — every shared file
 * exists and every builder's owned path has something in it; (2) the check command, when the run has
 * one. The check command is the only code the engine runs: it is the user's setting, or the
 * repository's command the user approved with the plan (Run's approvedCommand). The engine never
 * invents a type-check command (`tsc` runs the repository's config and plugins): a project that
 * wants type-checking makes it its check command, and then it is shown and approved like any other.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { Config } from '../../config';
import { statSyncOrNull, writeFileAtomic } from '../../files';
import { commitWorktree, diffFiles, ensureWorktree, repoInfo, resolveCommit } from '../../git';
import { converse } from '../../run/converse';
import { trimToSentence } from '../../text';
import { toolDefinitions } from '../../tools/tools';
import { SENTINEL, type AgentRecord } from '../../types';
import { conversationBase, toolContext } from '../kit';
import { agentRecord, type AttemptResult, type RoleContext } from '../pattern';
import { architectureSection, DESIGN_GROUP } from './architect';
import { runCheck } from './checks';
import { readRunJson } from '../../pipelineFiles';
import { isOwnedFolder, ownedKey, type BuildPlan } from './plan';
import { plural } from '../../../shared/words';

type Ctx = RoleContext<BuildPlan>;

export const SCAFFOLD_ID = 'scaffold';
/** Run-folder record of the scaffold commit builders branch from (read back through its schema). */
export const SCAFFOLD_FILE = 'scaffold.json';
const SCAFFOLD_LOG = `checks/${SCAFFOLD_ID}.log`;

export const ScaffoldRecordSchema = z.object({
  commit: z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/),
  /** The plan's base the scaffold started from. */
  base: z.string(),
  files: z.array(z.string()),
  /** The check command that passed on the skeleton, or null when none is set (structural check only). */
  command: z.string().nullable(),
  at: z.string(),
});
export type ScaffoldRecord = z.infer<typeof ScaffoldRecordSchema>;

/** The scaffold's node: the first agent after approval in a greenfield build. */
export function scaffoldAgent(plan: Pick<BuildPlan, 'shared' | 'builders'>, config: Config): AgentRecord {
  return agentRecord(config, {
    id: SCAFFOLD_ID, role: 'scaffolder', domain: DESIGN_GROUP, tier: 'sonnet',
    task: 'Commit the shared skeleton from architecture.md: shared types and interfaces, package manifest, empty module files',
    scope: scaffoldPaths(plan), dependsOn: [], outputFile: 'scaffold.md',
  });
}

/** What the scaffold may write: the shared files and every builder's owned paths (it creates their empty module files). */
export function scaffoldPaths(plan: Pick<BuildPlan, 'shared' | 'builders'>): string[] {
  return [...new Set([...(plan.shared ?? []), ...plan.builders.flatMap((b) => b.owns)])];
}

export async function readScaffold(runDir: string): Promise<ScaffoldRecord | null> {
  return readRunJson(runDir, SCAFFOLD_FILE, ScaffoldRecordSchema);
}

/**
 * The commit builders branch from and integration assembles onto: the scaffold's commit in a
 * greenfield build once it is recorded, otherwise the plan's base. The pipeline's integration
 * step calls this instead of reading `plan.base`.
 */
export async function buildBase(ctx: { runDir: string; plan: Pick<BuildPlan, 'base' | 'greenfield'> }): Promise<string> {
  if (!ctx.plan.greenfield) return ctx.plan.base;
  return (await readScaffold(ctx.runDir))?.commit ?? ctx.plan.base;
}

/** Shared files missing from the skeleton, and owned paths with nothing in them (a stat or listing each, once per scaffold). */
function missingFromSync(workspace: string, plan: BuildPlan): string[] {
  const missing: string[] = [];
  for (const f of plan.shared ?? []) if (!statSyncOrNull(path.join(workspace, ownedKey(f)))?.isFile()) missing.push(`shared file \`${f}\``);
  for (const b of plan.builders) {
    for (const o of b.owns) {
      const abs = path.join(workspace, ownedKey(o));
      if (isOwnedFolder(o)) {
        let n = 0;
        try { n = readdirSync(abs).length; } catch { /* missing */ }
        if (n === 0) missing.push(`${b.id}'s module folder \`${o}\` (no entry file)`);
      }
    }
  }
  return missing;
}

/**
 * One scaffold attempt: the model writes the skeleton, then the engine's conformance checks run
 * on it (see the file header) and it is committed on the scaffold's branch. A failed check fails
 * the attempt with its output, so the retry sees what broke; the files stay in the worktree.
 */
export async function attemptScaffold(ctx: Ctx, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  const repo = await repoInfo(ctx.workspace);
  const wt = await ensureWorktree({
    repo, runId: ctx.runId, agentId: agent.id, base: ctx.plan.base, rootOverride: ctx.config.worktreesDir, linkDirs: ctx.config.worktreeLinks,
  });
  const owns = scaffoldPaths(ctx.plan);
  const result = await converse({
    ...conversationBase(ctx, agent, signal),
    system: ctx.prompts.render('build/scaffold', {}),
    userBlock: ctx.prompts.render('build/scaffold-user', {
      task: ctx.plan.task, brief: ctx.plan.brief || '(none)', architecture: await architectureSection(ctx),
      owns: owns.map((f) => `- ${f}`).join('\n'),
      retryNote: previousError ? `\nYour previous attempt failed: ${previousError}\nFix that this time; the files you wrote are still there.\n` : '',
    }),
    tools: toolDefinitions({ builder: true }),
    toolCtx: { ...toolContext(ctx, agent), workspace: wt.workspace, builder: { owned: owns } },
  });
  ctx.ledger.transition(agent.id, 'verifying');
  const sentence = trimToSentence(result.text);
  if (/^failed\b/i.test(sentence)) return { ok: false, error: `the scaffolder reported: ${sentence}` };
  const missing = missingFromSync(wt.workspace, ctx.plan);
  if (missing.length) return { ok: false, error: `the skeleton does not conform to the plan: missing ${missing.join(', ')}` };
  const command = ctx.config.verifyCommand;
  if (command) {
    const check = await runCheck({ command, cwd: wt.workspace, timeoutMs: ctx.config.verifyTimeoutMs, logFile: path.join(ctx.runDir, SCAFFOLD_LOG), signal });
    ctx.ledger.countRedactions(agent.id, check.redactions);
    signal.throwIfAborted();
    ctx.ledger.log(check.ok ? 'info' : 'warn', `${agent.id}: conformance \`${command}\` ${check.ok ? 'passed' : check.timedOut ? 'timed out' : `failed (exit ${check.code})`} in ${check.ms} ms`);
    if (!check.ok) {
      return { ok: false, error: `the conformance check \`${command}\` ${check.timedOut ? 'timed out' : `failed with exit code ${check.code}`} on the skeleton (full output in ${SCAFFOLD_LOG}); its output ends with:\n${check.tail}` };
    }
  }
  await commitWorktree(wt.root, `scaffold: the shared skeleton of ${ctx.plan.task}`.slice(0, 200));
  const commit = await resolveCommit(repo.root, wt.branch);
  const files = await diffFiles(repo.root, ctx.plan.base, commit);
  if (files.length === 0) return { ok: false, error: 'no skeleton file was created; write the shared files and module entry files with write_file' };
  const record: ScaffoldRecord = { commit, base: ctx.plan.base, files: files.map((f) => f.path), command, at: new Date().toISOString() };
  await writeFileAtomic(path.join(ctx.runDir, SCAFFOLD_FILE), JSON.stringify(record, null, 2));
  await writeFileAtomic(path.join(ctx.runDir, agent.outputFile), [
    '# Scaffold', '', `Commit \`${commit.slice(0, 12)}\` on \`${wt.branch}\`, from the plan's base \`${ctx.plan.base.slice(0, 12)}\`. Every builder branches from it.`, '',
    '## Files', '', ...files.map((f) => `- \`${f.path}\``), '',
    '## Conformance', '', command ? `\`${command}\` passed on the skeleton ([log](${SCAFFOLD_LOG})); every shared file and module folder exists.` : 'Every shared file and module folder exists. No check command is set, so no code was run.', '',
    '## Scaffolder\'s note', '', sentence, '', SENTINEL, '',
  ].join('\n'));
  return { ok: true, returned: `Committed the skeleton: ${plural(files.length, 'file')} at ${commit.slice(0, 12)}. ${sentence.replace(/^done\.\s*/i, '')}`.trim() };
}
