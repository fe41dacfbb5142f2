/**
 * Ship: the approved change of a finished build run as one commit on a new branch (issue 17 §4).
 * `checkShip` says whether a run may ship (every refusal by name) and drafts the commit message;
 * `shipRun` makes the commit and the branch and records `ship.json`; `pushShipped` pushes it.
 *
 * Invariants: nothing here touches the user's current branch, index, working tree or HEAD (see
 * git/ship.ts); nothing is pushed unless asked; the draft message is written from the run's files
 * alone (no model call), so the same run always drafts the same message; a file the pipeline wrote
 * that does not parse blocks Ship, never counts as a pass.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { readTextOrNull, writeFileAtomic } from '../files';
import { CHANGES_PATCH, commitExists, discardRun, readChangeSet, repoInfo, type FileChange, type RepoInfo } from '../git';
import {
  branchClashes, branchNameProblem, commitTree, createBranch, listRemotes, pushBranch, treeWithPatch, userIdentity, type GitIdentity, type PushResult,
} from '../git/ship';
import { checkedRunDir, effectiveStatus, originOfRun, readLedger } from '../ledger/runs';
import { takeRunLock } from '../run/lock';
import {
  HardenTallySchema, INTEGRATION_FILE, IntegrationResultSchema, readRunJson, SHIP_FILE, ShipRecordSchema, TALLY_FILE,
  type HardenTally, type IntegrationResult, type ShipRecord,
} from '../pipelineFiles';
import { readReview, type StoredReview } from '../patterns/build/review';
import { findingOutcomes, type FindingOutcome } from '../patterns/build/findingOutcomes';
import { ENGINE_IDENTITY } from '../git/git';
import { DEFAULT_PATTERN, type LedgerSnapshot } from '../types';
import { patternNamed, producesChanges } from '../patterns/registry';
import { plural } from '../../shared/words';

/** Where VS Code puts the draft message for the user to edit before the commit is made. */
export const SHIP_MESSAGE_FILE = 'ship-message.md';
/** A commit subject's conventional limit. */
export const SUBJECT_MAX = 72;
const WRAP = 72;

/** Ship was refused; `reasons` name each thing that blocks it. Nothing was made. */
export class ShipRefusedError extends Error {
  constructor(readonly runId: string, readonly reasons: string[]) {
    super(`Ship refused for run ${runId}: ${reasons.join(' ')}`);
    this.name = 'ShipRefusedError';
  }
}

/** `orchestration/<runId>`: the branch Ship makes unless told another. */
export const defaultShipBranch = (runId: string): string => `orchestration/${runId}`;

/** plan.json as Ship reads it: only what the message needs, tolerant of fields other stages add. */
const ShipPlanSchema = z.object({
  task: z.string().default(''),
  brief: z.string().default(''),
  base: z.string().default(''),
  builders: z.array(z.object({ id: z.string(), task: z.string(), owns: z.array(z.string()).default([]), addresses: z.array(z.string()).optional() }).loose()).default([]),
}).loose();
type ShipPlan = z.infer<typeof ShipPlanSchema>;


/** What the message is written from. */
export interface ShipMessageInput {
  runId: string;
  task: string;
  brief: string;
  builders: ReadonlyArray<{ id: string; task: string; owns: readonly string[]; review: StoredReview | null }>;
  files: readonly FileChange[];
  integration: IntegrationResult | null;
  tally: HardenTally | null;
  /** What became of each finding a Fix Findings build was asked to fix (the engine's own outcomes, as summary.md shows them). */
  findings: readonly FindingOutcome[] | null;
  base: string;
  /** The repository's HEAD now, when it is not the base; null when it has not moved. */
  movedHead: { sha: string; branch: string | null } | null;
}

export interface ShipCheck {
  runId: string;
  runDir: string;
  /** Why Ship is refused, each naming what blocks it; empty when the run may ship. */
  refusals: string[];
  /** What the user should know that does not block: no check command, hardening off, HEAD moved. */
  notes: string[];
  /** The commit the builders branched from: the new branch's parent. */
  base: string;
  repo: RepoInfo | null;
  headMoved: boolean;
  defaultBranch: string;
  /** The draft commit message (subject, blank line, body). */
  message: string;
  files: FileChange[];
  /** What an earlier Ship made, when it did. */
  shipped: ShipRecord | null;
}

export interface ShipCheckOptions {
  workspace: string;
  outputRoot: string;
  runId: string;
  /** Runs this process is executing (VS Code's controller): they are running, whatever their ledger's pid says. */
  activeRunIds?: ReadonlySet<string>;
  /** Ship a run folder not created on this machine, after reading why it counts as foreign. */
  allowForeign?: boolean;
}

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1).trimEnd()}…` : s);
const firstLine = (s: string): string => s.trim().split('\n', 1)[0].trim();
const short = (sha: string): string => sha.slice(0, 12);

/** Words wrapped at `width`, the first line after `first`, the rest after `rest`. */
function wrap(text: string, first = '', rest = first, width = WRAP): string[] {
  const out: string[] = [];
  let line = first;
  let fresh = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!fresh && line.length + 1 + word.length > width) {
      out.push(line);
      line = rest + word;
    } else {
      line += (fresh ? '' : ' ') + word;
    }
    fresh = false;
  }
  out.push(line);
  return out;
}

/** The commit's subject: the task's first line, within 72 characters. */
export function shipSubject(task: string): string {
  return cut(firstLine(task).replace(/\s+/g, ' ') || 'Change from an orchestrated build', SUBJECT_MAX);
}


/** The draft commit message: deterministic, from the run's files only. */
export function shipMessage(m: ShipMessageInput): string {
  const lines: string[] = [shipSubject(m.task), ''];
  const rest = m.task.trim().split('\n').slice(1).join(' ').trim();
  if (rest) lines.push(...wrap(rest), '');
  if (m.brief.trim()) lines.push(...wrap(m.brief.trim()), '');
  if (m.findings && m.findings.length) {
    const item = (o: FindingOutcome, why = false): string[] => {
      const f = o.finding;
      const text = `${f.id} ${f.severity ? `[${f.severity}] ` : ''}${f.file ? `${f.file}: ` : ''}${cut(firstLine(f.text), 200)}`;
      return wrap(why && o.why ? `${text} (${o.status === 'out-of-scope' ? 'out of scope' : 'not fixed'}: ${cut(o.why, 160)})` : text, '- ', '  ');
    };
    const fixed = m.findings.filter((o) => o.status === 'fixed');
    const other = m.findings.filter((o) => o.status !== 'fixed');
    if (fixed.length) lines.push('Findings fixed:', ...fixed.flatMap((o) => item(o)), '');
    if (other.length) lines.push('Findings not fixed here:', ...other.flatMap((o) => item(o, true)), '');
  }
  if (m.builders.length) {
    lines.push(`Builders (${m.builders.length}), each approved by its reviewer:`);
    for (const b of m.builders) {
      lines.push(...wrap(`${b.id}: ${cut(firstLine(b.task), 160)}`, '- ', '  '));
      if (b.review) lines.push(...wrap(`Review${b.review.revised ? ' (after one revision)' : ''}: ${cut(b.review.summary.replace(/\s+/g, ' '), 300)}`, '  ', '  '));
    }
    lines.push('');
  }
  const added = m.files.reduce((n, f) => n + f.added, 0);
  const removed = m.files.reduce((n, f) => n + f.removed, 0);
  lines.push(...wrap(`Change: ${plural(m.files.length, 'file')}, +${added} -${removed}.`));
  lines.push(...wrap(integrationLine(m.integration)));
  lines.push(...wrap(hardeningLine(m.tally)));
  const listed = (m.tally?.findings ?? []).filter((f) => f.severity !== 'critical');
  for (const f of listed.slice(0, 20)) {
    lines.push(...wrap(`[${f.severity}, ${f.concern}${f.status === 'fixed' ? ', fixed' : f.status === 'not-fixed' ? ', not fixed' : ''}] ${f.file ? `${f.file}${f.line ? `:${f.line}` : ''}: ` : ''}${cut(firstLine(f.text), 200)}`, '- ', '  '));
  }
  if (listed.length > 20) lines.push(`- and ${plural(listed.length - 20, 'more finding')} (harden/tally.json)`);
  lines.push('');
  if (m.movedHead) {
    lines.push(...wrap(`Made from the run's base ${short(m.base)}: HEAD has moved since the run started (now ${short(m.movedHead.sha)}${m.movedHead.branch ? ` on ${m.movedHead.branch}` : ''}), and this commit does not include those commits.`));
  } else {
    lines.push(...wrap(`Made from the run's base ${short(m.base)}.`));
  }
  lines.push(`Run ${m.runId}, orchestrated by Scaled Agent Orchestration.`);
  return `${lines.join('\n').trimEnd()}\n`;
}

function integrationLine(r: IntegrationResult | null): string {
  if (r === null) return 'Integration check: none recorded for this run.';
  const rounds = r.rounds.length > 1 ? ` after ${plural(r.rounds.length - 1, 'fix round')}` : '';
  if (r.status === 'passed') return `Integration check: \`${r.command ?? 'the check'}\` passed on the assembled change${rounds}.`;
  if (r.status === 'no-check') return 'Integration check: no check command is set, so the assembled change was not tested.';
  if (r.status === 'nothing-merged') return 'Integration check: nothing was merged.';
  return `Integration check: \`${r.command ?? 'the check'}\` failed${rounds}.`;
}

function hardeningLine(t: HardenTally | null): string {
  if (t === null) return 'Hardening: none recorded for this run.';
  if (!t.enabled) return 'Hardening: turned off for this run.';
  const fixed = t.findings.filter((f) => f.severity === 'major' && f.status === 'fixed').length;
  return `Hardening: ${t.critical} critical, ${t.major} major${t.major ? ` (${fixed} fixed)` : ''}, ${t.minor} minor.`;
}

/** A pipeline file: parsed, absent (null), or present but unreadable ('damaged': it blocks). */
async function pipelineFile<T>(runDir: string, file: string, schema: z.ZodType<T>): Promise<T | null | 'damaged'> {
  const v = await readRunJson(runDir, file, schema);
  if (v !== null) return v;
  return (await fsp.lstat(path.join(runDir, file)).then(() => true, () => false)) ? 'damaged' : null;
}

/** Whether the run may ship, every refusal by name, and the draft message. Reads only; changes nothing. */
export async function checkShip(o: ShipCheckOptions): Promise<ShipCheck> {
  const runDir = await checkedRunDir(o.workspace, o.outputRoot, o.runId);
  const snap = await readLedger(o.workspace, o.outputRoot, o.runId);
  const refusals: string[] = [];
  const notes: string[] = [];
  const status = effectiveStatus(snap, o.activeRunIds);
  const check: ShipCheck = {
    runId: o.runId, runDir, refusals, notes, base: '', repo: null, headMoved: false,
    defaultBranch: defaultShipBranch(o.runId), message: '', files: [], shipped: null,
  };
  if (!producesChanges(snap.pattern ?? DEFAULT_PATTERN)) {
    refusals.push(`Run ${o.runId} is a ${snap.pattern ?? DEFAULT_PATTERN} run, not a build: only a build has a change to ship.`);
    return check;
  }
  if (status === 'running' || status === 'planning' || status === 'awaiting-approval') {
    refusals.push(`Run ${o.runId} is ${status === 'awaiting-approval' ? 'waiting for its plan to be approved' : `still ${status}`}: it is not a finished build.`);
    return check;
  }
  if (status !== 'completed' && status !== 'partial') {
    refusals.push(`Run ${o.runId} is ${status}, not a finished build${snap.reason ? ` (${snap.reason})` : ''}.`);
    return check;
  }
  if (!o.allowForeign) {
    const origin = await originOfRun(o.workspace, o.outputRoot, o.runId);
    if (!origin.local) refusals.push(`${origin.reason} Its reviews and checks were not made here, so Ship will not commit its change in your name.`);
  }
  const shippedRaw = await pipelineFile(runDir, SHIP_FILE, ShipRecordSchema);
  if (shippedRaw === 'damaged') refusals.push(`Run ${o.runId} has a ${SHIP_FILE} that cannot be read: it may have shipped already. Look at its branches before you remove the file to ship again.`);
  else if (shippedRaw !== null) {
    check.shipped = shippedRaw;
    refusals.push(`Run ${o.runId} was already shipped: branch ${shippedRaw.branch}, commit ${short(shippedRaw.commit)}${shippedRaw.pushedTo ? `, pushed to ${shippedRaw.pushedTo}` : ''}.`);
  }

  let planRaw: unknown = null;
  try { planRaw = JSON.parse((await readTextOrNull(path.join(runDir, 'plan.json'))) ?? 'null'); } catch { /* torn: refused below */ }
  const planParsed = ShipPlanSchema.safeParse(planRaw);
  if (!planParsed.success) {
    refusals.push(`Run ${o.runId} has no readable plan.json, so its builders cannot be checked.`);
    return check;
  }
  const plan: ShipPlan = planParsed.data;
  check.base = plan.base;
  const cs = await readChangeSet(runDir);
  if (cs === null) refusals.push(`Run ${o.runId} has no recorded change (no readable changes.json): nothing to ship.`);
  else {
    check.files = cs.files;
    if (cs.state === 'discarded') refusals.push(`The change of run ${o.runId} was discarded: nothing to ship.`);
    else if (cs.files.length === 0 || !((await readTextOrNull(path.join(runDir, CHANGES_PATCH))) ?? '').trim()) refusals.push(`Run ${o.runId} changed no file: nothing to ship.`);
    if (cs.state === 'applied') notes.push('This change was also applied to your working tree earlier; the branch is made from the run\'s base all the same.');
    if (!check.base) check.base = cs.base;
  }
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(check.base)) refusals.push(`Run ${o.runId} records no base commit to branch from.`);

  const builders: ShipMessageInput['builders'][number][] = [];
  if (plan.builders.length === 0) refusals.push(`Run ${o.runId} has no builders in its plan: nothing to ship.`);
  for (const b of plan.builders) {
    const a = snap.agents.find((x) => x.id === b.id);
    const review = await readReview(runDir, b.id).catch(() => null);
    builders.push({ id: b.id, task: b.task, owns: b.owns, review });
    const conflict = cs?.conflicts.find((c) => c.agentId === b.id);
    if (conflict) refusals.push(`Builder ${b.id} was not merged: its change conflicts in ${conflict.files.join(', ') || 'some files'}.`);
    else if (review?.verdict !== 'approve') {
      refusals.push(`Builder ${b.id} is not approved${review ? `: changes requested (${cut(review.summary, 160)})` : ' (no review recorded)'}.`);
    } else if (a?.status !== 'completed') {
      refusals.push(`Builder ${b.id} is ${a?.status ?? 'missing from the ledger'}${a?.error ? ` (${cut(a.error, 160)})` : ''}, so its change is not merged.`);
    } else if (cs && !(b.id in cs.perAgent)) {
      refusals.push(`Builder ${b.id} was not merged: its branch is not in the recorded change.`);
    }
  }

  const integration = await pipelineFile(runDir, INTEGRATION_FILE, IntegrationResultSchema);
  if (integration === 'damaged') refusals.push(`${INTEGRATION_FILE} cannot be read, so the integration check's result is unknown.`);
  else if (integration?.status === 'failed') {
    const last = integration.rounds[integration.rounds.length - 1];
    refusals.push(`The integration check failed: \`${integration.command ?? 'the check'}\` still fails on the assembled change${integration.rounds.length > 1 ? ` after ${plural(integration.rounds.length - 1, 'fix round')}` : ''}${last ? ` (log: ${last.log})` : ''}.`);
  } else if (integration?.status === 'nothing-merged') refusals.push('No builder\'s change was merged (integration.json): nothing to ship.');
  else if (integration?.status === 'no-check') notes.push('No check command is set: the assembled change was not tested.');
  else if (integration === null) notes.push('No integration check was recorded for this run.');

  const tally = await pipelineFile(runDir, TALLY_FILE, HardenTallySchema);
  if (tally === 'damaged') refusals.push(`${TALLY_FILE} cannot be read, so the hardening verdict is unknown.`);
  else if (tally !== null) {
    const critical = tally.findings.filter((f) => f.severity === 'critical' && f.status !== 'fixed');
    if (critical.length) {
      refusals.push(`Hardening found ${plural(critical.length, 'critical finding')}: ${critical.map((f) => `${f.id}${f.file ? ` (${f.file}${f.line ? `:${f.line}` : ''})` : ''}: ${cut(firstLine(f.text), 120)}`).join('; ')}.`);
    } else if (tally.critical > 0 && !tally.findings.some((f) => f.severity === 'critical')) {
      refusals.push(`Hardening found ${plural(tally.critical, 'critical finding')} (harden/tally.json).`);
    }
    if (!tally.enabled) notes.push('Hardening was turned off for this run.');
  } else notes.push('No hardening was recorded for this run.');

  // The pipeline's own steps after the builders: one that did not complete leaves the change unchecked
  // (the scaffold and the builders' reviews are checked through the builders).
  const steps = patternNamed(snap.pattern ?? DEFAULT_PATTERN)?.view.changeSteps;
  const after: ReadonlySet<string> = new Set(steps ? [steps.integration, steps.fixer, steps.hardener, steps.assembly] : []);
  for (const a of snap.agents) {
    if (!after.has(a.role) || a.status === 'completed') continue;
    if (a.role === steps?.hardener && a.status === 'skipped' && tally !== 'damaged' && tally?.enabled === false) continue;
    refusals.push(`The ${a.role} step ${a.id} ${a.status === 'skipped' ? 'was skipped' : `is ${a.status}`}${a.error ? ` (${cut(a.error, 160)})` : ''}.`);
  }

  const merged = integration && integration !== 'damaged' ? integration.merged ?? [] : [];
  const findings = await findingOutcomes(runDir, plan.builders, { get: (id) => snap.agents.find((a) => a.id === id) }, merged);

  let movedHead: ShipMessageInput['movedHead'] = null;
  try {
    const repo = await repoInfo(o.workspace);
    check.repo = repo;
    if (check.base && !(await commitExists(repo.root, check.base))) refusals.push(`The run's base commit ${short(check.base)} is not in this repository.`);
    else if (check.base && repo.head !== check.base) {
      check.headMoved = true;
      movedHead = { sha: repo.head, branch: repo.branch };
      notes.push(`HEAD has moved since the run started (now ${short(repo.head)}${repo.branch ? ` on ${repo.branch}` : ''}): the branch is made from the run's base ${short(check.base)}.`);
    }
  } catch (err) {
    refusals.push((err as Error).message);
  }
  check.message = shipMessage({
    runId: o.runId, task: plan.task || snap.task, brief: plan.brief, builders, files: check.files,
    integration: integration === 'damaged' ? null : integration, tally: tally === 'damaged' ? null : tally,
    findings, base: check.base, movedHead,
  });
  return check;
}

export interface ShipOptions extends ShipCheckOptions {
  /** The branch to create; `orchestration/<runId>` by default. */
  branch?: string;
  /** The commit message as the user edited it; the draft by default. */
  message?: string;
  /** The worktrees setting, to remove the run's own branches when the default name needs their place. */
  rootOverride?: string | null;
  /** Push the new branch to this remote afterwards, as the user's git. */
  push?: { remote: string; interactive: boolean };
}

export interface ShipResult {
  record: ShipRecord;
  /** Whose commit it is: the user's git identity, or null when none was set (the engine's then). */
  identity: GitIdentity | null;
  notes: string[];
  files: FileChange[];
  /** The run's own worktrees and branches removed to make room for `orchestration/<runId>`. */
  removed: { worktrees: number; branches: number } | null;
  push: PushResult | null;
}

/**
 * Makes the commit and the branch: refuses (ShipRefusedError, nothing made) on anything
 * `checkShip` refuses, an invalid or existing branch name, or an empty message. The run's own
 * branches live under `orchestration/<runId>/`, so the default `orchestration/<runId>` cannot
 * exist beside them: with the commit made, they and their worktrees are removed first (the
 * change is in the commit and in changes.patch), as a full Apply does.
 */
export async function shipRun(o: ShipOptions): Promise<ShipResult> {
  // The run's lock: two Ships of one run (CLI and VS Code) cannot both pass the check and make two branches.
  const lock = await takeRunLock(await checkedRunDir(o.workspace, o.outputRoot, o.runId), o.runId, 'ship');
  try {
    return await shipLocked(o);
  } finally {
    await lock.release();
  }
}

async function shipLocked(o: ShipOptions): Promise<ShipResult> {
  const check = await checkShip(o);
  if (check.refusals.length) throw new ShipRefusedError(o.runId, check.refusals);
  const repo = check.repo!;
  const branch = o.branch ?? check.defaultBranch;
  const problem = await branchNameProblem(repo.root, branch);
  if (problem) throw new ShipRefusedError(o.runId, [`${problem[0].toUpperCase()}${problem.slice(1)}.`]);
  const message = (o.message ?? check.message).replace(/\r\n/g, '\n').replace(/\s+$/, '');
  if (!message.trim()) throw new ShipRefusedError(o.runId, ['The commit message is empty.']);

  if (o.push) {
    const remotes = await listRemotes(repo.root);
    if (!remotes.includes(o.push.remote)) throw new ShipRefusedError(o.runId, [`"${o.push.remote}" is not a remote of this repository${remotes.length ? ` (its remotes: ${remotes.join(', ')})` : ' (it has none)'}; nothing was made.`]);
  }
  const own = `refs/heads/orchestration/${o.runId}/`;
  const clashes = await branchClashes(repo.root, branch);
  const foreign = clashes.filter((r) => !r.startsWith(own));
  if (foreign.length) {
    const exact = foreign.includes(`refs/heads/${branch}`);
    throw new ShipRefusedError(o.runId, [exact
      ? `A branch named ${branch} already exists; choose another name.`
      : `The branch ${branch} cannot be created beside the existing ${foreign.map((r) => r.slice('refs/heads/'.length)).join(', ')}; choose another name.`]);
  }
  const tree = await treeWithPatch(repo.root, check.base, path.join(check.runDir, CHANGES_PATCH));
  const identity = await userIdentity(repo.root);
  const notes = [...check.notes];
  if (!identity) notes.push(`No git user.name and user.email are set, so the commit is by ${ENGINE_IDENTITY.name} <${ENGINE_IDENTITY.email}>; set yours (git config --global user.name/user.email) to commit as yourself.`);
  const commit = await commitTree({ root: repo.root, tree, parent: check.base, message: `${message}\n`, identity: identity ? 'user' : 'engine' });
  let removed: ShipResult['removed'] = null;
  if (clashes.length) {
    removed = await discardRun({ repo, runId: o.runId, rootOverride: o.rootOverride });
    notes.push(`The run's ${plural(removed.worktrees, 'worktree')} and ${plural(removed.branches, 'branch', 'branches')} (orchestration/${o.runId}/…) were removed to make room for ${branch}; the change is in its commit.`);
  }
  await createBranch(repo.root, branch, commit, `orchestration: ship run ${o.runId}`);
  const record: ShipRecord = ShipRecordSchema.parse({ branch, commit, base: check.base, headMoved: check.headMoved, pushedTo: null, at: new Date().toISOString() });
  await writeShipRecord(check.runDir, record);
  let push: PushResult | null = null;
  if (o.push) push = (await pushShipped({ ...o, remote: o.push.remote, interactive: o.push.interactive })).push;
  return { record: push?.ok ? { ...record, pushedTo: o.push!.remote } : record, identity, notes, files: check.files, removed, push };
}

async function writeShipRecord(runDir: string, r: ShipRecord): Promise<void> {
  await writeFileAtomic(path.join(runDir, SHIP_FILE), `${JSON.stringify(ShipRecordSchema.parse(r), null, 2)}\n`);
}

/** The run's ship.json, or null when it has not shipped (or the file cannot be read). */
export async function readShipRecord(workspace: string, outputRoot: string, runId: string): Promise<ShipRecord | null> {
  return readRunJson(await checkedRunDir(workspace, outputRoot, runId), SHIP_FILE, ShipRecordSchema);
}

/**
 * Pushes a shipped run's branch to `remote` as the user's own git, and records the remote in
 * ship.json when git says it worked. git's output is returned either way.
 */
export async function pushShipped(o: { workspace: string; outputRoot: string; runId: string; remote: string; interactive: boolean }): Promise<{ record: ShipRecord; push: PushResult }> {
  const runDir = await checkedRunDir(o.workspace, o.outputRoot, o.runId);
  const record = await readRunJson(runDir, SHIP_FILE, ShipRecordSchema);
  if (record === null) throw new ShipRefusedError(o.runId, [`Run ${o.runId} has not shipped yet: there is no branch to push.`]);
  const repo = await repoInfo(o.workspace);
  const push = await pushBranch({ root: repo.root, remote: o.remote, branch: record.branch, interactive: o.interactive });
  const next = push.ok ? { ...record, pushedTo: o.remote } : record;
  if (push.ok) await writeShipRecord(runDir, next);
  return { record: next, push };
}

/** What Ship did, as lines for the CLI and a VS Code notice. */
export function describeShip(runId: string, r: ShipResult): string[] {
  const lines = [
    `Shipped run ${runId}: ${plural(r.files.length, 'file')} in one commit ${short(r.record.commit)} on the new branch ${r.record.branch}, made from the run's base ${short(r.record.base)}${r.identity ? `, as ${r.identity.name} <${r.identity.email}>` : ''}.`,
    'Your current branch, index and working tree were not touched.',
    ...r.notes,
  ];
  if (r.push) lines.push(r.push.ok ? `Pushed ${r.record.branch} to ${r.record.pushedTo ?? ''}.` : `The push failed (git exit ${r.push.code ?? '?'}); the branch is made and not pushed.`);
  else lines.push('Nothing was pushed.');
  return lines;
}

/** A Ledger snapshot is a finished build that Ship may be offered on (the views' test; checkShip has the final word). */
export function mayOfferShip(s: Pick<LedgerSnapshot, 'pattern' | 'status'>): boolean {
  return producesChanges(s.pattern) && (s.status === 'completed' || s.status === 'partial');
}
