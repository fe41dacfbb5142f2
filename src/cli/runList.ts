/**
 * `orchestrate list` and `orchestrate status`: what runs there are and how each stands. A run
 * folder not created on this machine is marked, never hidden; a damaged ledger is named.
 */
import * as path from 'node:path';
import { effectiveStatus, originOfRun, readLedger, runDir as runDirOf, scanRuns, LedgerDamagedError, type Config } from '../engine';
import type { CliArgs } from './args';
import type { Io } from './changes';
import { EXIT } from './exitCodes';
import { commandLine, runnableCommands, shownPath } from './hint';
import { batchLines, cutWords, oneLine, statusLine } from './report';

/** How list and status mark a run folder not created on this machine. */
const FOREIGN_MARK = '  [foreign: not created on this machine]';
/** A run whose ledger.json is damaged, as list and status show it: the file and the way forward. */
const damagedJson = (d: LedgerDamagedError) => ({ runId: d.runId, status: 'damaged', file: d.file, error: d.message });
const damagedLine = (d: LedgerDamagedError, workspace: string): string =>
  `${d.runId}  damaged    ${d.file}: ${d.reason}; rebuild it from events.jsonl with: ${commandLine(['resume', d.runId], workspace)}`;

/** The label the simulator puts first in every file and return (the return may be flattened). */
const SIMULATED_LABEL = /^>\s*_simulated output[^_\n]*_\s*/i;

/** The text width status fits each agent's line to: the terminal's, or a wide default when piped. */
const width = (): number => Math.max(60, process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : 160);

/**
 * What an agent said, as one line: its error, else its return without the simulated-output label
 * and markdown headings (a final step returns its whole summary.md), newlines flattened.
 */
export function agentGist(a: { error: string | null; returned: string | null }): string {
  const text = a.error ?? a.returned ?? '';
  const lines = text.split('\n').map((l) => l.replace(SIMULATED_LABEL, '').trim())
    .filter((l) => l && !/^#{1,6}\s/.test(l) && l !== '<!-- DONE -->');
  return oneLine(lines.join(' '));
}

/** `orchestrate list`: every run, newest first, foreign and damaged ones marked. */
export async function listCommand(workspace: string, config: Config, args: CliArgs, io: Io): Promise<number> {
  const out = (t: string): void => io.out(t);
  const { runs, damaged } = await scanRuns(workspace, config.outputRoot);
  if (args.json) {
    const rows = [
      ...runs.map((r) => ({ runId: r.runId, status: r.status, task: r.task, costUsd: r.totals.costUsd, simulated: r.simulated, foreign: r.origin?.local === false })),
      ...damaged.map(damagedJson),
    ];
    out(JSON.stringify(rows.sort((a, b) => b.runId.localeCompare(a.runId)), null, 2));
    return 0;
  }
  if (!runs.length && !damaged.length) { out(`No runs in ${shownPath(path.join(workspace, config.outputRoot))}`); return 0; }
  const lines = [
    ...runs.map((r) => ({ id: r.runId, line: statusLine(r) + (r.origin?.local === false ? FOREIGN_MARK : '') })),
    ...damaged.map((d) => ({ id: d.runId, line: damagedLine(d, workspace) })),
  ];
  for (const { line } of lines.sort((a, b) => b.id.localeCompare(a.id))) out(line);
  return 0;
}

/** `orchestrate status [runId]`: one run's agents, and how to go on with it. */
export async function statusCommand(workspace: string, config: Config, args: CliArgs, io: Io): Promise<number> {
  const out = (t: string): void => io.out(t);
  const err = (t: string): void => io.err(t);
  const { runs, damaged } = await scanRuns(workspace, config.outputRoot);
  const id = args.positional ?? [...runs, ...damaged].map((r) => r.runId).sort().pop();
  if (!id) { err('No runs yet.'); return EXIT.usage; }
  let snap;
  try {
    snap = await readLedger(workspace, config.outputRoot, id);
  } catch (e) {
    if (e instanceof LedgerDamagedError) {
      if (args.json) out(JSON.stringify(damagedJson(e), null, 2));
      err(runnableCommands(e.message, workspace));
      return EXIT.failed;
    }
    err((e as Error).message);
    return EXIT.usage;
  }
  const origin = await originOfRun(workspace, config.outputRoot, id);
  // A foreign ledger's pid belongs to another machine: it proves nothing here.
  snap = { ...snap, status: effectiveStatus(origin.local ? snap : { ...snap, pid: null }) };
  if (args.json) { out(JSON.stringify({ ...snap, foreign: !origin.local, ...(origin.local ? {} : { foreignReason: origin.reason }) }, null, 2)); return 0; }
  out(cutWords(statusLine(snap), width()) + (origin.local ? '' : FOREIGN_MARK));
  if (snap.reason) out(`  reason: ${cutWords(oneLine(snap.reason), width() - 10)}`);
  // One line an agent, whatever it returned: a coordinator's return runs to several lines, and
  // the full text is in its output file (and in --json).
  const fileWidth = Math.min(24, Math.max(...snap.agents.map((a) => a.outputFile.length)));
  for (const a of snap.agents) {
    const head = `  ${a.id.padEnd(8)} ${a.status.padEnd(10)} ${a.tier.padEnd(6)} ${a.outputFile.padEnd(fileWidth)} `;
    out(`${head}${cutWords(agentGist(a), width() - head.length)}`.trimEnd());
  }
  for (const line of batchLines(snap)) out(cutWords(line, width()));
  out(`\nEach agent's full output is in its file under ${shownPath(runDirOf(workspace, config.outputRoot, snap.runId))}; all of it as JSON: ${commandLine(['status', snap.runId, '--json'], workspace)}`);
  if (!origin.local) out(`\n${origin.reason} Resuming it needs --allow-foreign-run.`);
  if (snap.status === 'interrupted') {
    out(`\nThis run was cut off. Finish it with: ${commandLine(['resume', snap.runId, ...(origin.local ? [] : ['--allow-foreign-run'])], workspace)}`);
  }
  if (snap.status === 'declined') out('\nThis plan was declined, so nothing ran and it cannot be resumed. Run the task again to plan anew.');
  return 0;
}
