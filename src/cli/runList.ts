/**
 * `orchestrate list` and `orchestrate status`: what runs there are and how each stands. A run
 * folder not created on this machine is marked, never hidden; a damaged ledger is named.
 */
import * as path from 'node:path';
import { effectiveStatus, originOfRun, readLedger, scanRuns, LedgerDamagedError, type Config } from '../engine';
import type { CliArgs } from './args';
import type { Io } from './changes';
import { EXIT } from './exitCodes';
import { statusLine } from './report';

/** How list and status mark a run folder not created on this machine. */
const FOREIGN_MARK = '  [foreign: not created on this machine]';
/** A run whose ledger.json is damaged, as list and status show it: the file and the way forward. */
const damagedJson = (d: LedgerDamagedError) => ({ runId: d.runId, status: 'damaged', file: d.file, error: d.message });
const damagedLine = (d: LedgerDamagedError): string => `${d.runId}  damaged    ${d.file}: ${d.reason}; resume rebuilds it from events.jsonl`;

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
  if (!runs.length && !damaged.length) { out(`No runs in ${path.join(workspace, config.outputRoot)}`); return 0; }
  const lines = [
    ...runs.map((r) => ({ id: r.runId, line: statusLine(r) + (r.origin?.local === false ? FOREIGN_MARK : '') })),
    ...damaged.map((d) => ({ id: d.runId, line: damagedLine(d) })),
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
      err(e.message);
      return EXIT.failed;
    }
    err((e as Error).message);
    return EXIT.usage;
  }
  const origin = await originOfRun(workspace, config.outputRoot, id);
  // A foreign ledger's pid belongs to another machine: it proves nothing here.
  snap = { ...snap, status: effectiveStatus(origin.local ? snap : { ...snap, pid: null }) };
  if (args.json) { out(JSON.stringify({ ...snap, foreign: !origin.local, ...(origin.local ? {} : { foreignReason: origin.reason }) }, null, 2)); return 0; }
  out(statusLine(snap) + (origin.local ? '' : FOREIGN_MARK));
  if (snap.reason) out(`  reason: ${snap.reason}`);
  for (const a of snap.agents) {
    out(`  ${a.id.padEnd(8)} ${a.status.padEnd(10)} ${a.tier.padEnd(6)} ${a.outputFile.padEnd(18)} ${a.error ?? a.returned ?? ''}`.trimEnd());
  }
  if (!origin.local) out(`\n${origin.reason} Resuming it needs --allow-foreign-run.`);
  if (snap.status === 'interrupted') out(`\nThis run was cut off. Finish it with: orchestrate resume ${snap.runId}${origin.local ? '' : ' --allow-foreign-run'}`);
  if (snap.status === 'declined') out('\nThis plan was declined, so nothing ran and it cannot be resumed. Run the task again to plan anew.');
  return 0;
}
