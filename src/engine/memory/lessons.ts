/**
 * What a finished build learned, read back from its run folder: a reviewer's reason given twice,
 * a check that failed twice for the same cause, and findings the user left out or that could not
 * be fixed. Pure over the folder's files (each read bounded and through a schema, as untrusted
 * input); proposals.ts turns the lessons into proposals the user accepts or drops.
 *
 * What counts:
 * - `review`: a builder rejected, revised, and rejected again (reviews/<id>-1.md and
 *   reviews/<id>.json both ask for changes) where a reason of the second review restates one of the
 *   first (same words, or most of them).
 * - `check`: two failed attempts of builders whose verification output ends the same (the
 *   `retrying`/`failed` errors in events.jsonl), or two failed rounds of the check on the assembled
 *   tree (integration.json) whose logs end the same. Paths and numbers are ignored in the comparison.
 * - `finding`: a finding of findings.json the user left unticked (`notChosen`), and a
 *   hardening finding whose fix round left it `not-fixed` (harden/tally.json).
 * - `reflect`: a lesson a workflow's `reflect` hook proposed (reflections/<id>.json).
 */
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { readEvents } from '../ledger/events';
import { EVENTS_FILE } from '../ledger/rebuild';
import { relativeInside } from '../paths';
import { FINDINGS_FILE, FindingsFileSchema, HardenTallySchema, INTEGRATION_FILE, IntegrationResultSchema, readRunJson, TALLY_FILE } from '../pipelineFiles';
import { clean } from './memoryFile';

export const LESSON_KINDS = ['review', 'check', 'finding', 'reflect'] as const;
export type LessonKind = (typeof LESSON_KINDS)[number];

export interface Lesson {
  kind: LessonKind;
  /** The entry as memory.md would keep it: one line of plain text. */
  text: string;
  /** Run-folder-relative files it was found in. */
  evidence: string[];
}

/** Most bytes of a review or a check log read. */
const READ_MAX = 64 * 1024;
/** The end of a check's output that is compared and quoted. */
const TAIL_CHARS = 1_500;
const CAUSE_CHARS = 300;
const MAX_LESSONS = 50;

/** What the engine writes to reviews/<id>.json; only what a lesson needs, so a newer field does not hide it. */
const ReviewJsonSchema = z.object({
  verdict: z.enum(['approve', 'changes_requested']),
  summary: z.string(),
  reasons: z.array(z.string()).max(50).default([]),
});

/** Every lesson of a run folder, duplicates merged (by kind and normalised text), at most MAX_LESSONS. */
export async function extractLessons(runDir: string): Promise<Lesson[]> {
  const found = [
    ...await reviewLessons(runDir),
    ...await builderCheckLessons(runDir),
    ...await integrationLessons(runDir),
    ...await findingLessons(runDir),
    ...await reflectionLessons(runDir),
  ];
  const byKey = new Map<string, Lesson>();
  for (const l of found) {
    const key = `${l.kind}:${lessonKey(l.text)}`;
    const seen = byKey.get(key);
    if (seen) seen.evidence = [...new Set([...seen.evidence, ...l.evidence])];
    else byKey.set(key, { ...l, evidence: [...l.evidence] });
  }
  return [...byKey.values()].slice(0, MAX_LESSONS);
}

/** Text reduced to what says the same thing twice: lower case, words only, paths and numbers blanked. */
export function lessonKey(text: string): string {
  return text.toLowerCase()
    .replace(/(?:[a-z]:)?[\\/][^\s:'"`)]+/g, ' path ')
    .replace(/\d+/g, '#')
    .replace(/[^a-z#]+/g, ' ')
    .trim();
}

/** Two reasons say the same when one's words are mostly the other's (Jaccard over words ≥ 0.6). */
export function sameReason(a: string, b: string): boolean {
  const ka = lessonKey(a);
  const kb = lessonKey(b);
  if (ka === kb) return ka.length > 0;
  const wa = new Set(ka.split(' ').filter(Boolean));
  const wb = new Set(kb.split(' ').filter(Boolean));
  if (wa.size === 0 || wb.size === 0) return false;
  let both = 0;
  for (const w of wa) if (wb.has(w)) both++;
  return both / (wa.size + wb.size - both) >= 0.6;
}

/** A run-folder file's last READ_MAX bytes as text; null when missing, not a plain file (symlinks are not followed) or binary. */
async function readBounded(file: string): Promise<string | null> {
  let fh;
  try {
    fh = await fs.open(file, constants.O_RDONLY | (process.platform === 'win32' ? 0 : constants.O_NOFOLLOW));
  } catch {
    return null;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return null;
    const length = Math.min(st.size, READ_MAX);
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, st.size - length);
    const bytes = buf.subarray(0, bytesRead);
    return bytes.includes(0) ? null : bytes.toString('utf8');
  } finally {
    await fh.close();
  }
}

/** The reasons listed in a review's markdown (reviews/<id>-1.md): the items under "## Reasons". */
export function reasonsOfReviewMarkdown(md: string): string[] {
  const at = md.search(/^## Reasons\s*$/m);
  if (at < 0) return [];
  const out: string[] = [];
  for (const line of md.slice(at).split('\n').slice(1)) {
    if (/^#/.test(line)) break;
    const m = /^- (.+)$/.exec(line);
    if (m) out.push(m[1].trim());
  }
  return out;
}

async function reviewLessons(runDir: string): Promise<Lesson[]> {
  const names = await fs.readdir(path.join(runDir, 'reviews')).catch(() => [] as string[]);
  const lessons: Lesson[] = [];
  for (const name of names.sort()) {
    const m = /^([a-z0-9][a-z0-9-]{0,40})-1\.md$/.exec(name);
    if (!m) continue;
    const id = m[1];
    const first = await readBounded(path.join(runDir, 'reviews', name));
    const last = await readRunJson(runDir, `reviews/${id}.json`, ReviewJsonSchema);
    if (first === null || !last || last.verdict !== 'changes_requested') continue;
    const before = reasonsOfReviewMarkdown(first);
    for (const reason of last.reasons) {
      if (!before.some((b) => sameReason(b, reason))) continue;
      lessons.push({
        kind: 'review',
        text: clean(`A reviewer rejected a change twice for the same reason: ${reason}`),
        evidence: [`reviews/${name}`, `reviews/${id}.json`],
      });
    }
  }
  return lessons;
}

/** The last lines of a check's output, as a lesson quotes them. */
function causeOf(tail: string): string {
  const lines = tail.split('\n').map((l) => l.trim()).filter((l) => l && !/^\u2026$/.test(l));
  let cause = '';
  for (let i = lines.length - 1; i >= 0 && cause.length < CAUSE_CHARS; i--) cause = cause ? `${lines[i]} / ${cause}` : lines[i];
  return cause.length > CAUSE_CHARS ? `…${cause.slice(-CAUSE_CHARS)}` : cause;
}

const CHECK_ERROR = /^the verification command `([\s\S]{1,2000}?)` (?:timed out|failed with exit code \S+)[\s\S]*?its output ends with:\n([\s\S]*)$/;

async function builderCheckLessons(runDir: string): Promise<Lesson[]> {
  // Only builders run checks: a run without their logs has no check failure to find in a long event log.
  if (!(await fs.stat(path.join(runDir, 'checks')).catch(() => null))?.isDirectory()) return [];
  const read = await readEvents(path.join(runDir, EVENTS_FILE)).catch(() => null);
  if (!read) return [];
  const groups = new Map<string, { command: string; cause: string; agents: Set<string>; count: number }>();
  for (const e of read.events) {
    if (e.type !== 'agent' || (e.status !== 'retrying' && e.status !== 'failed') || typeof e.error !== 'string') continue;
    const m = CHECK_ERROR.exec(e.error);
    if (!m) continue;
    const tail = m[2].slice(-TAIL_CHARS);
    const key = `${m[1]}\n${lessonKey(tail)}`;
    const g = groups.get(key) ?? { command: m[1], cause: '', agents: new Set<string>(), count: 0 };
    // The latest output is quoted: it is what the last attempt still saw.
    g.cause = causeOf(tail);
    g.count++;
    g.agents.add(String(e.id));
    groups.set(key, g);
  }
  return [...groups.values()].filter((g) => g.count >= 2 && g.cause).map((g) => ({
    kind: 'check' as const,
    text: clean(`The check \`${g.command}\` failed twice for the same cause: ${g.cause}`),
    evidence: [EVENTS_FILE, ...[...g.agents].sort().map((id) => `checks/${id}.log`)],
  }));
}

async function integrationLessons(runDir: string): Promise<Lesson[]> {
  const result = await readRunJson(runDir, INTEGRATION_FILE, IntegrationResultSchema);
  if (!result) return [];
  const groups = new Map<string, { cause: string; logs: string[] }>();
  for (const round of result.rounds.filter((r) => !r.ok).slice(0, 20)) {
    // A log path read back from the folder is untrusted: only run-folder-relative ones are read.
    if (path.isAbsolute(round.log) || !relativeInside(runDir, path.resolve(runDir, round.log))) continue;
    const text = await readBounded(path.resolve(runDir, round.log));
    if (text === null) continue;
    // checks.ts writes a header (command, folder, exit code, time) before the output: compare the output only.
    const output = text.replace(/^\$ [^\n]*\n# [^\n]*\n\n/, '');
    const tail = output.slice(-TAIL_CHARS);
    const key = lessonKey(tail);
    if (!key) continue;
    const g = groups.get(key) ?? { cause: causeOf(tail), logs: [] };
    g.logs.push(round.log);
    groups.set(key, g);
  }
  return [...groups.values()].filter((g) => g.logs.length >= 2).map((g) => ({
    kind: 'check' as const,
    text: clean(`The check${result.command ? ` \`${result.command}\`` : ''} on the assembled change failed ${g.logs.length} rounds for the same cause: ${g.cause}`),
    evidence: [INTEGRATION_FILE, ...g.logs],
  }));
}

async function findingLessons(runDir: string): Promise<Lesson[]> {
  const lessons: Lesson[] = [];
  // Findings of the audit the user left unticked in Fix Findings: judged not worth fixing.
  const findings = await readRunJson(runDir, FINDINGS_FILE, FindingsFileSchema);
  for (const f of findings?.notChosen ?? []) {
    lessons.push({ kind: 'finding', text: clean(`The user chose not to fix this finding${f.file ? ` (${f.file})` : ''}: ${f.text}`), evidence: [FINDINGS_FILE] });
  }
  const tally = await readRunJson(runDir, TALLY_FILE, HardenTallySchema);
  for (const f of tally?.findings ?? []) {
    if (f.status !== 'not-fixed') continue;
    const where = f.file ? `, ${f.file}${f.line ? `:${f.line}` : ''}` : '';
    lessons.push({ kind: 'finding', text: clean(`A ${f.severity} ${f.concern} finding stayed unfixed after its fix round (${f.id}${where}): ${f.text}`), evidence: [TALLY_FILE] });
  }
  return lessons;
}


/** What a workflow's reflect hook keeps (reflections/<id>.json); read back as untrusted input. */
const ReflectionSchema = z.object({ stage: z.string().max(64), lessons: z.array(z.string().min(1).max(300)).max(5) });

/** Lessons a workflow's reflect hooks proposed, each with the file it came from. */
async function reflectionLessons(runDir: string): Promise<Lesson[]> {
  const names = await fs.readdir(path.join(runDir, 'reflections')).catch(() => [] as string[]);
  const lessons: Lesson[] = [];
  for (const name of names.sort()) {
    if (!/^[a-z0-9][a-z0-9-]{0,80}\.json$/.test(name)) continue;
    const text = await readBounded(path.join(runDir, 'reflections', name));
    if (text === null) continue;
    let parsed;
    try {
      parsed = ReflectionSchema.safeParse(JSON.parse(text));
    } catch {
      continue;
    }
    if (!parsed.success) continue;
    for (const l of parsed.data.lessons) lessons.push({ kind: 'reflect', text: clean(l), evidence: [`reflections/${name}`] });
  }
  return lessons;
}
