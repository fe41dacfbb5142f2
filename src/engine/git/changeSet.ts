/**
 * A run's change set, `changes.json` in the run folder: what the assembled change touches, per
 * builder too, what conflicted, and whether the user applied or discarded it. Beside it the patches
 * (`changes.patch`, `changes/<id>.patch`). Apply and discard for a whole run live here too.
 *
 * Invariants: `changes.json` is written atomically and read tolerantly (missing or unreadable is
 * null, unknown fields are ignored); a state other than 'proposed' is final; after a full apply or
 * a discard the run's worktrees and branches are gone.
 */
import * as path from 'node:path';
import { z } from 'zod';
import { readTextOrNull, writeFileAtomic } from '../files';
import { applyPatch } from './apply';
import type { AssembleResult } from './assemble';
import { diffFiles, writePatch, type FileChange } from './diff';
import { commitExists, GitError, repoInfo, type RepoInfo } from './git';
import { discardRun } from './worktrees';
import { plural } from '../../shared/words';

export const CHANGES_FILE = 'changes.json';
export const CHANGES_PATCH = 'changes.patch';
export const CHANGES_DIR = 'changes';

const FileChangeSchema = z.object({
  path: z.string().min(1),
  status: z.enum(['added', 'modified', 'deleted', 'renamed']),
  added: z.number().int().min(0),
  removed: z.number().int().min(0),
  binary: z.boolean(),
});

export const ChangeSetSchema = z.object({
  version: z.literal(1),
  base: z.string().min(1),
  ref: z.string().min(1).nullable(),
  state: z.enum(['proposed', 'applied', 'discarded']),
  files: z.array(FileChangeSchema),
  perAgent: z.record(z.string(), z.object({ files: z.array(FileChangeSchema), patch: z.string() })),
  conflicts: z.array(z.object({ agentId: z.string(), files: z.array(z.string()), message: z.string() })),
  appliedFiles: z.array(z.string()).optional(),
  updatedAt: z.string(),
});

export interface ChangeSet {
  version: 1;
  /** The commit the builders branched from. */
  base: string;
  /** The integration result's sha; null when nothing was assembled. */
  ref: string | null;
  state: 'proposed' | 'applied' | 'discarded';
  /** What `changes.patch` touches. */
  files: FileChange[];
  /** Per builder: its files and its patch, run-relative (`changes/<id>.patch`). */
  perAgent: Record<string, { files: FileChange[]; patch: string }>;
  conflicts: AssembleResult['conflicts'];
  /** Files applied so far by a partial apply. */
  appliedFiles?: string[];
  updatedAt: string;
}

/** The run's change set, or null when it has none or the file cannot be read as one. */
export async function readChangeSet(runDir: string): Promise<ChangeSet | null> {
  let text: string | null;
  try {
    text = await readTextOrNull(path.join(runDir, CHANGES_FILE));
  } catch {
    return null;
  }
  if (text === null) return null;
  try {
    const parsed = ChangeSetSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function writeChangeSet(runDir: string, cs: ChangeSet): Promise<void> {
  const checked = ChangeSetSchema.parse(cs);
  await writeFileAtomic(path.join(runDir, CHANGES_FILE), `${JSON.stringify(checked, null, 2)}\n`);
}

export interface RecordChangesOptions {
  repo: RepoInfo;
  runDir: string;
  base: string;
  /** The assembly, or null when nothing was assembled (no builder approved). */
  assembled: AssembleResult | null;
  /** Every builder whose branch should be recorded (a missing branch is skipped). */
  builders: ReadonlyArray<{ agentId: string; branch: string }>;
}

/**
 * Writes the run's change as files: `changes.patch` (base → integration result; empty when nothing
 * was assembled), `changes/<id>.patch` per builder (base → its branch) and `changes.json` in state
 * 'proposed'. Patches are written as git's bytes, so `git apply` takes them whatever the encoding.
 */
export async function recordChanges(o: RecordChangesOptions): Promise<ChangeSet> {
  const root = o.repo.root;
  const perAgent: ChangeSet['perAgent'] = {};
  for (const b of o.builders) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(b.agentId) || b.agentId.includes('..')) {
      throw new GitError(`agent id ${JSON.stringify(b.agentId)} cannot name a patch file`);
    }
  }
  // Read-only git calls on distinct refs and writes of distinct files: in parallel, in plan order.
  const recorded = await Promise.all(o.builders.map(async (b) => {
    if (!(await commitExists(root, b.branch))) return null;
    const rel = `${CHANGES_DIR}/${b.agentId}.patch`;
    const [, files] = await Promise.all([writePatch(root, o.base, b.branch, path.join(o.runDir, rel)), diffFiles(root, o.base, b.branch)]);
    return [b.agentId, { files, patch: rel }] as const;
  }));
  for (const r of recorded) if (r) perAgent[r[0]] = r[1];
  const ref = o.assembled?.ref ?? null;
  const patchFile = path.join(o.runDir, CHANGES_PATCH);
  const [, files] = await Promise.all([
    ref !== null ? writePatch(root, o.base, ref, patchFile) : writeFileAtomic(patchFile, ''),
    ref === null ? [] : diffFiles(root, o.base, ref),
  ]);
  const cs: ChangeSet = {
    version: 1, base: o.base, ref, state: 'proposed',
    files,
    perAgent, conflicts: o.assembled?.conflicts ?? [], updatedAt: new Date().toISOString(),
  };
  await writeChangeSet(o.runDir, cs);
  return cs;
}

export interface RunChangesOptions {
  workspace: string;
  runDir: string;
  runId: string;
  rootOverride?: string | null;
}

/**
 * Applies the run's `changes.patch` to the user's work tree: the files not applied yet, or only
 * `files`. When nothing is left the run's worktrees and branches go and the state is 'applied';
 * a partial apply keeps them and records `appliedFiles`. Refusals (uncommitted edits, a patch that
 * no longer applies) change nothing and name the files.
 */
export async function applyRunChanges(o: RunChangesOptions & { files?: readonly string[] }): Promise<{ applied: string[]; remaining: string[] }> {
  const cs = await readChangeSet(o.runDir);
  if (cs === null) throw new GitError(`Run ${o.runId} has no change to apply (no readable ${CHANGES_FILE} in ${o.runDir})`);
  if (cs.state !== 'proposed') throw new GitError(`Run ${o.runId}'s change was already ${cs.state}`);
  const done = new Set(cs.appliedFiles ?? []);
  const left = cs.files.map((f) => f.path).filter((p) => !done.has(p));
  let target = left;
  if (o.files !== undefined) {
    const again = o.files.filter((f) => done.has(f));
    if (again.length > 0) throw new GitError(`Already applied: ${again.join(', ')}`);
    const known = new Set(left);
    const unknown = o.files.filter((f) => !known.has(f));
    if (unknown.length > 0) throw new GitError(`Not in run ${o.runId}'s change: ${unknown.join(', ')}`);
    target = [...new Set(o.files)];
  }
  const repo = await repoInfo(o.workspace);
  // All files of a fresh change go in one `git apply` (no --include), the simplest form of it.
  const whole = done.size === 0 && target.length === left.length;
  const { applied } = target.length === 0
    ? { applied: [] }
    : await applyPatch({ repo, patchFile: path.join(o.runDir, CHANGES_PATCH), files: whole ? undefined : target });
  for (const f of applied) done.add(f);
  const remaining = cs.files.map((f) => f.path).filter((p) => !done.has(p));
  const next: ChangeSet = { ...cs, appliedFiles: [...done], updatedAt: new Date().toISOString() };
  if (remaining.length === 0) next.state = 'applied';
  await writeChangeSet(o.runDir, next);
  if (remaining.length === 0) {
    try {
      await discardRun({ repo, runId: o.runId, rootOverride: o.rootOverride });
    } catch (err) {
      throw new GitError(`The change was applied, but removing the run's worktrees failed: ${(err as Error).message}. Discard the run to try again.`);
    }
  }
  return { applied, remaining };
}

/**
 * What a discard did, for the front ends to say truthfully: a change already applied or discarded
 * has nothing left to discard, and a partly applied one loses only the files still proposed.
 */
export interface DiscardResult {
  /** The change set's state before the discard; null when the run never wrote one. */
  before: ChangeSet['state'] | null;
  /** Files of the proposed change that were dropped (none when it was already settled). */
  discarded: string[];
  /** Files applied earlier, which stay in the working tree. */
  applied: string[];
  /** Leftovers of the run that were removed. */
  worktrees: number;
  branches: number;
}

/**
 * Discards the run's change: its worktrees and branches go and the state becomes 'discarded' (an
 * applied change stays 'applied'). Works without `changes.json` too, for a run that crashed before
 * writing one. Returns what it actually did.
 */
export async function discardRunChanges(o: RunChangesOptions): Promise<DiscardResult> {
  const removed = await discardRun({ repo: o.workspace, runId: o.runId, rootOverride: o.rootOverride });
  const cs = await readChangeSet(o.runDir);
  const all = cs?.files.map((f) => f.path) ?? [];
  const done = new Set(cs?.state === 'applied' ? all : cs?.appliedFiles ?? []);
  if (cs !== null && cs.state === 'proposed') {
    await writeChangeSet(o.runDir, { ...cs, state: 'discarded', updatedAt: new Date().toISOString() });
  }
  return {
    before: cs?.state ?? null,
    discarded: cs?.state === 'proposed' ? all.filter((p) => !done.has(p)) : [],
    applied: all.filter((p) => done.has(p)),
    ...removed,
  };
}

/**
 * One sentence for what a discard did, the same in VS Code and the CLI: "Nothing to discard: all 3
 * files of run … were already applied" rather than a "Discarded" that did nothing.
 */
export function describeDiscard(runId: string, r: DiscardResult): string {
  const removed = r.worktrees + r.branches > 0 ? `${plural(r.worktrees, 'worktree')} and ${plural(r.branches, 'branch', 'branches')}` : '';
  const cleaned = removed ? `; removed the ${removed} it left behind.` : '.';
  if (r.before === 'applied') {
    const n = r.applied.length;
    return `Nothing to discard: ${n === 1 ? 'the 1 file' : `all ${plural(n, 'file')}`} of run ${runId} ${n === 1 ? 'was' : 'were'} already applied${cleaned}`;
  }
  if (r.before === 'discarded') return `Nothing to discard: the changes of run ${runId} were already discarded${cleaned}`;
  if (r.before === null) return removed ? `Run ${runId} had no proposed change${cleaned}` : `Nothing to discard: run ${runId} has no proposed change.`;
  const kept = r.applied.length ? ` (${plural(r.applied.length, 'file')} applied earlier ${r.applied.length === 1 ? 'stays' : 'stay'})` : '';
  return `Discarded ${plural(r.discarded.length, 'proposed file change')} of run ${runId}${removed ? ` and its ${removed}` : ''}; your working tree was not touched${kept}.`;
}
