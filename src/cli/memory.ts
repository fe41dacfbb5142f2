/**
 * Lessons for memory.md from the CLI: after a build run, and with `orchestrate memory <runId>`.
 * On a terminal the user answers each lesson; otherwise (and under --yes) the lessons are only
 * listed with where they are and how to accept them later. Nothing is written without a yes.
 */
import {
  checkedRunDir, decideLessons, readProposals, type Config, type LessonProposal,
} from '../engine';
import { plural } from '../shared/words';
import type { CliArgs } from './args';
import type { Io } from './changes';
import { commandLine, shownPath } from './hint';

export type Ask = (question: string) => Promise<string>;

interface Target { runDir: string; runId: string; workspace: string; outputRoot: string }

const list = (pending: readonly LessonProposal[]): string[] => pending.map((p) => `  ${p.id} (${p.kind}): ${p.text}`);

/** Asks y/n for each pending lesson, then writes the accepted ones (and marks the rest dropped). */
async function askEach(t: Target, pending: readonly LessonProposal[], ask: Ask, io: Io): Promise<void> {
  const accept: string[] = [];
  const drop: string[] = [];
  for (const p of pending) {
    io.err(`\n${p.id} (${p.kind}): ${p.text}`);
    const answer = await ask('Add this lesson to memory.md? [y/N] ');
    (/^y(es)?$/i.test(answer.trim()) ? accept : drop).push(p.id);
  }
  const r = await decideLessons({ ...t, now: new Date() }, { accept, drop });
  io.err(r.accepted.length
    ? `Added ${plural(r.accepted.length, 'lesson')} to ${shownPath(r.memoryFile)}; later runs' planners and builders read it.`
    : `Nothing was added to ${shownPath(r.memoryFile)}.`);
}

function tellLater(t: Target, pending: readonly LessonProposal[], io: Io): void {
  io.err(`\n${plural(pending.length, 'lesson')} proposed for memory.md (in ${shownPath(`${t.runDir}/memory-proposals.json`)}); nothing was written:`);
  for (const line of list(pending)) io.err(line);
  io.err(`To choose: ${commandLine(['memory', t.runId], t.workspace)}  (or accept all: ${commandLine(['memory', t.runId, '--accept', 'all'], t.workspace)})`);
}

/**
 * After a run: its pending lessons, asked one by one on a terminal, or listed under --yes and
 * without a terminal. Never fails the command: the run's own outcome is what the exit code says.
 */
export async function offerLessons(t: Target, args: Pick<CliArgs, 'yes'>, ask: Ask, io: Io): Promise<void> {
  try {
    const pending = (await readProposals(t.runDir))?.proposals.filter((p) => p.status === 'proposed') ?? [];
    if (!pending.length) return;
    if (args.yes || !process.stdin.isTTY) tellLater(t, pending, io);
    else await askEach(t, pending, ask, io);
  } catch (e) {
    io.err(`Lessons were not recorded: ${(e as Error).message}`);
  }
}

/** `orchestrate memory <runId> [--accept all|ID,…]`: decide a run's proposed lessons. */
export async function memoryCommand(workspace: string, config: Config, args: CliArgs, ask: Ask, io: Io): Promise<number> {
  const runId = args.positional!;
  let t: Target;
  try {
    t = { runDir: await checkedRunDir(workspace, config.outputRoot, runId), runId, workspace, outputRoot: config.outputRoot };
  } catch (e) {
    io.err((e as Error).message);
    return 2;
  }
  const file = await readProposals(t.runDir);
  if (!file) { io.out(`Run ${runId} proposed no lessons.`); return 0; }
  const pending = file.proposals.filter((p) => p.status === 'proposed');
  if (!pending.length) {
    const accepted = file.proposals.filter((p) => p.status === 'accepted').length;
    io.out(`Every lesson of run ${runId} was decided already (${accepted} accepted, ${file.proposals.length - accepted} dropped).`);
    return 0;
  }
  try {
    if (args.accept.length) {
      const all = args.accept.some((a) => a === 'all');
      const accept = all ? pending.map((p) => p.id) : args.accept.flatMap((a) => a.split(',')).map((s) => s.trim()).filter(Boolean);
      const r = await decideLessons({ ...t, now: new Date() }, { accept, drop: [] });
      io.out(`Added ${plural(r.accepted.length, 'lesson')} to ${shownPath(r.memoryFile)}.`);
      for (const p of r.accepted) io.out(`  ${p.id}: ${p.text}`);
      return 0;
    }
    if (!process.stdin.isTTY) {
      tellLater(t, pending, io);
      return 0;
    }
    await askEach(t, pending, ask, io);
    return 0;
  } catch (e) {
    io.err((e as Error).message);
    return 1;
  }
}
