/**
 * Lessons a build proposes for memory.md (`memory-proposals.json` in its run folder), and the
 * user's decision on each. Nothing reaches memory.md until the user accepts an entry: the CLI asks
 * (or, under --yes, only says where they are), VS Code offers them in a QuickPick.
 */
import * as path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../files';
import { plural } from '../../shared/words';
import { extractLessons, lessonKey, LESSON_KINDS, type Lesson } from './lessons';
import { appendMemory, ENTRY_MAX_CHARS, readMemory } from './memoryFile';
import { readRunJson } from '../pipelineFiles';

export const PROPOSALS_FILE = 'memory-proposals.json';

export const LessonProposalSchema = z.object({
  /** `l1`, `l2` … in the order they were found; stable across later decisions. */
  id: z.string().regex(/^l\d{1,4}$/),
  kind: z.enum(LESSON_KINDS),
  text: z.string().min(1).max(ENTRY_MAX_CHARS),
  evidence: z.array(z.string().max(300)).max(50),
  status: z.enum(['proposed', 'accepted', 'dropped']),
  decidedAt: z.string().max(40).nullable(),
});
export type LessonProposal = z.infer<typeof LessonProposalSchema>;

export const LessonProposalsSchema = z.object({
  version: z.literal(1),
  runId: z.string().max(100),
  proposals: z.array(LessonProposalSchema).max(100),
});
export type LessonProposals = z.infer<typeof LessonProposalsSchema>;

/** The proposals of a run, or null when it proposed none (or the file is not of that shape). */
export function readProposals(runDir: string): Promise<LessonProposals | null> {
  return readRunJson(runDir, PROPOSALS_FILE, LessonProposalsSchema);
}

/** A lesson already in memory.md (the user accepted it, or wrote it) is not proposed again. */
function inMemory(entries: readonly string[]): (text: string) => boolean {
  const keys = entries.map(lessonKey);
  return (text) => {
    const k = lessonKey(text);
    return keys.some((e) => e.includes(k));
  };
}

/**
 * Extracts the run's lessons and writes those not yet in memory.md to memory-proposals.json.
 * A run that ends again (resume, rerun) keeps its earlier decisions: a lesson decided before
 * keeps its id and status; new ones are added after. Writes nothing when there is nothing to
 * propose. Returns the proposals still waiting for the user.
 */
export async function proposeLessons(o: { runDir: string; runId: string; workspace: string; outputRoot: string }): Promise<LessonProposal[]> {
  const lessons = await extractLessons(o.runDir);
  const earlier = await readProposals(o.runDir);
  if (lessons.length === 0 && !earlier) return [];
  const known = await readMemory(o.workspace, o.outputRoot).then((m) => inMemory(m.entries), () => () => false);
  const byKey = new Map((earlier?.proposals ?? []).map((p) => [`${p.kind}:${lessonKey(p.text)}`, p]));
  const proposals = [...(earlier?.proposals ?? [])];
  let next = proposals.reduce((n, p) => Math.max(n, Number(p.id.slice(1))), 0);
  for (const l of lessons) {
    if (byKey.has(`${l.kind}:${lessonKey(l.text)}`) || known(l.text)) continue;
    if (proposals.length >= 100) break;
    proposals.push(proposalOf(l, `l${++next}`));
  }
  if (proposals.length === 0) return [];
  if (!earlier || proposals.length !== earlier.proposals.length) {
    await writeFileAtomic(path.join(o.runDir, PROPOSALS_FILE), JSON.stringify({ version: 1, runId: o.runId, proposals } satisfies LessonProposals, null, 2));
  }
  return proposals.filter((p) => p.status === 'proposed');
}

function proposalOf(l: Lesson, id: string): LessonProposal {
  return { id, kind: l.kind, text: l.text, evidence: l.evidence.slice(0, 50), status: 'proposed', decidedAt: null };
}

export interface LessonDecision {
  /** Ids to append to memory.md. */
  accept: readonly string[];
  /** Ids the user dropped (not proposed again by this run). */
  drop: readonly string[];
}

export interface DecisionResult {
  accepted: LessonProposal[];
  dropped: LessonProposal[];
  /** memory.md's absolute path. */
  memoryFile: string;
}

/**
 * Records the user's decision: accepted entries are appended to memory.md (with the date and this
 * run's id), dropped ones are marked so. Only entries still `proposed` are decided; an unknown id
 * is an error that names the ids there are.
 */
export async function decideLessons(o: { runDir: string; workspace: string; outputRoot: string; now: Date }, d: LessonDecision): Promise<DecisionResult> {
  const file = await readProposals(o.runDir);
  if (!file) throw new Error(`This run proposed no lessons (no readable ${PROPOSALS_FILE} in ${o.runDir})`);
  const ids = new Set(file.proposals.map((p) => p.id));
  const unknown = [...d.accept, ...d.drop].filter((id) => !ids.has(id));
  if (unknown.length) throw new Error(`No lesson ${unknown.join(', ')} in this run; it proposed ${file.proposals.map((p) => p.id).join(', ')}`);
  const at = o.now.toISOString();
  const accepted = file.proposals.filter((p) => p.status === 'proposed' && d.accept.includes(p.id));
  const dropped = file.proposals.filter((p) => p.status === 'proposed' && d.drop.includes(p.id) && !d.accept.includes(p.id));
  // memory.md first: a failure there leaves the proposals undecided, so they can be accepted again.
  const memoryFile = await appendMemory(o.workspace, o.outputRoot, accepted.map((p) => ({ text: p.text, date: at.slice(0, 10), runId: file.runId, kind: p.kind })));
  const proposals = file.proposals.map((p) => (accepted.includes(p) ? { ...p, status: 'accepted' as const, decidedAt: at }
    : dropped.includes(p) ? { ...p, status: 'dropped' as const, decidedAt: at } : p));
  if (accepted.length || dropped.length) {
    await writeFileAtomic(path.join(o.runDir, PROPOSALS_FILE), JSON.stringify({ ...file, proposals } satisfies LessonProposals, null, 2));
  }
  return { accepted, dropped, memoryFile };
}

/** The run's line about its proposals, for the ledger's log. */
export function describeProposals(pending: readonly LessonProposal[], outputRoot: string): string {
  return `${plural(pending.length, 'lesson')} proposed for ${outputRoot}/memory.md (${PROPOSALS_FILE}); `
    + 'nothing is written there until you accept them';
}

/**
 * The run's end (any pattern; only a build's files yield lessons): proposes what it learned and
 * says so in the ledger's log. Never fails the run: a lesson that cannot be proposed is a warning.
 */
export async function proposeAtRunEnd(o: {
  runDir: string; runId: string; workspace: string; outputRoot: string; log(level: 'info' | 'warn', message: string): void;
}): Promise<void> {
  try {
    const pending = await proposeLessons(o);
    if (pending.length) o.log('info', describeProposals(pending, o.outputRoot));
  } catch (err) {
    o.log('warn', `lessons for memory.md could not be proposed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
