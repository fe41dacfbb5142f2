/**
 * Greenfield's design step (issue 17 item 5): before approval an architect (opus) writes
 * `architecture.md` — the modules, their public interfaces and the paths each will own. The user
 * approves it with the plan and may edit it; the file as it is when the run executes is what the
 * builder assignment, the scaffold and the builders read (never a copy held in the plan).
 */
import * as path from 'node:path';
import type { Config } from '../../config';
import { readTextOrNull } from '../../files';
import { runGit, splitZ } from '../../git/git';
import { PlanError } from '../../plan/planError';
import { SENTINEL, type AgentGroup, type AgentRecord } from '../../types';
import { attemptReportingAgent } from '../kit';
import { agentRecord, withinFocus, type ApprovalContext, type AttemptResult, type ReviewDocument, type RoleContext } from '../pattern';
import { ARCHITECTURE_FILE } from '../../pipelineFiles';
import type { BuildPlan } from './plan';

export const ARCHITECT_ID = 'architect';
/** The group of greenfield's design agents: the architect before approval, the scaffold after it. */
export const DESIGN_GROUP = 'design';
export const designGroup = (): AgentGroup => ({ id: DESIGN_GROUP, label: 'Design (architecture and scaffold)' });
/**
 * The engine's own greenfield rule: a repository (inside the focus) with at most this many files
 * besides docs and dotfiles has next to nothing to change, so the task builds something new.
 */
export const GREENFIELD_MAX_FILES = 2;
/** What prompts carry of architecture.md: enough for a small system's design, bounded like a scout report. */
const ARCHITECTURE_CHARS = 16_000;

export function architectAgent(plan: Pick<BuildPlan, 'task'>, config: Config): AgentRecord {
  return agentRecord(config, {
    id: ARCHITECT_ID, role: 'architect', domain: DESIGN_GROUP, tier: 'opus',
    task: `Design the modules, their public interfaces and the files each owns for: ${plan.task}`.slice(0, 600),
    scope: [], dependsOn: [], outputFile: ARCHITECTURE_FILE,
  });
}

/** Files that say nothing about what there is to change: docs, licences, dotfiles. */
const TRIVIAL = /(^|\/)(\.[^/]*|readme[^/]*|license[^/]*|licence[^/]*|changelog[^/]*|[^/]*\.md)$/i;

/**
 * True when the workspace's repository holds at most GREENFIELD_MAX_FILES tracked files that
 * are not docs or dotfiles inside the focus: there is nothing for builders to edit, so they
 * must create, and that needs an architecture first.
 */
export async function isGreenfieldRepo(workspace: string, focus: readonly string[]): Promise<boolean> {
  const out = await runGit(['ls-files', '-z', '--', '.'], { cwd: workspace, readOnly: true });
  const files = splitZ(out.stdout).filter((f) => !TRIVIAL.test(f) && withinFocus(f, focus));
  return files.length <= GREENFIELD_MAX_FILES;
}

/**
 * Runs the architect now (before approval), under the run's caps and retries like the scouts.
 * Planning stops with the architect's error when it did not finish: builders of new code without
 * an approved design would each invent their own interfaces.
 */
export async function runArchitect(ctx: ApprovalContext, plan: BuildPlan): Promise<string> {
  const agent = architectAgent(plan, ctx.config);
  await ctx.runAgents(plan, [agent], [designGroup()]);
  const a = ctx.ledger.get(ARCHITECT_ID);
  const text = await readArchitecture(ctx.runDir);
  if (a?.status !== 'completed' || text === null) {
    throw new PlanError(`The architect did not write ${ARCHITECTURE_FILE} (${a?.error ?? a?.status ?? 'missing'}), so the new code has no design to build against`, []);
  }
  return text;
}

/** architecture.md as prompts carry it: without the sentinel, bounded; null when there is none. */
export async function readArchitecture(runDir: string): Promise<string | null> {
  const text = await readTextOrNull(path.join(runDir, ARCHITECTURE_FILE));
  if (text === null) return null;
  const body = text.replace(/\s*<!-- DONE -->\s*$/, '').trim();
  return body.length > ARCHITECTURE_CHARS ? `${body.slice(0, ARCHITECTURE_CHARS)}\n[architecture.md cut at ${ARCHITECTURE_CHARS} characters]` : body;
}

/** The headings of architecture.md, indented by level: what the CLI and the plan review show of it. */
export function architectureOutline(text: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^(#{1,4})\s+(.+?)\s*#*\s*$/.exec(line);
    if (m) lines.push(`${'  '.repeat(m[1].length - 1)}${m[2]}`);
  }
  return lines.slice(0, 40);
}

/** The approved design as a prompt section (builders, scaffold), or '' for a build that has none. */
export async function architectureSection(ctx: Pick<RoleContext<BuildPlan>, 'runDir' | 'plan'>): Promise<string> {
  if (!ctx.plan.greenfield) return '';
  const text = await readArchitecture(ctx.runDir);
  if (text === null) return '';
  return [
    '', '# The approved architecture (architecture.md)',
    'Build against these modules and interfaces exactly; the user approved them. Owned entries ending in "/" are folders: you may create files inside them.',
    '', text.replace(/^(#+ )/gm, '##$1'), '',
  ].join('\n');
}

/** The architect's attempt: the read tools (an almost empty workspace still has a README to honour) and write_output to architecture.md. */
export function attemptArchitect(ctx: RoleContext<BuildPlan>, agent: AgentRecord, previousError: string | null, signal: AbortSignal): Promise<AttemptResult> {
  return attemptReportingAgent(ctx, agent, previousError, signal, {
    system: ctx.prompts.render('build/architect', {}),
    user: (outputFile, retry) => ctx.prompts.render('build/architect-user', {
      task: ctx.plan.task, brief: ctx.plan.brief || '(none)', focus: ctx.plan.focus.join(', ') || 'the workspace root',
      outputFile, retryNote: retry, sentinel: SENTINEL,
    }),
  });
}

/** A greenfield plan's architecture.md as a document the user approves with the plan (Pattern.reviewDocuments). */
export async function architectureDocuments(plan: BuildPlan, runDir: string): Promise<ReviewDocument[]> {
  if (!plan.greenfield) return [];
  const text = await readArchitecture(runDir);
  if (text === null) return [];
  return [{
    id: 'architecture', title: 'Architecture', file: ARCHITECTURE_FILE, outline: architectureOutline(text), editLabel: `Edit ${ARCHITECTURE_FILE}`,
    note: `The architect's design: the modules, their public interfaces and the folders each builder owns. Edit it before you approve: the scaffold and every builder read ${ARCHITECTURE_FILE} as it is when the run starts.`,
  }];
}
