/** `orchestrate run … --from <runId>`: which of an audit run's findings the build fixes. */
import type { Config, FindingsFile } from '../engine';
import { findingLine, listRunFindings, selectFindings } from '../engine/findings';
import type { CliArgs } from './args';
import { EXIT } from './exitCodes';

export interface FindingsIo {
  err(s: string): void;
  /** Asks on the terminal; '' when there is none to answer. */
  ask(question: string): Promise<string>;
}

/** The default task of a build from findings, when the user gave none. */
export const fixFindingsTask = (runId: string): string => `Fix the selected findings from ${runId}`;

/**
 * The findings chosen to fix, or an exit code: 2 with the reason when the run has none to offer
 * (unknown, still running, not an audit, no findings) or the selection does not fit the list;
 * 130 when the user chose nothing at the prompt. `--findings` chooses; else `--yes` takes them
 * all; else the user picks from a numbered list.
 */
export async function chooseFindings(workspace: string, config: Config, args: CliArgs, io: FindingsIo): Promise<FindingsFile | number> {
  const from = args.from!;
  const listed = await listRunFindings(workspace, config.outputRoot, from);
  if (!listed.ok) { io.err(`Cannot fix findings: ${listed.reason}.`); return EXIT.usage; }
  const all = listed.run.findings;
  io.err(`Findings of run ${from} (${listed.run.pattern}: ${listed.run.task.split('\n', 1)[0].slice(0, 120)}):`);
  for (const [i, f] of all.entries()) io.err(`  ${String(i + 1).padStart(3)}. ${findingLine(f).replace(/^F\d+ /, '')}`);
  let selection = args.findings ?? (args.yes ? 'all' : null);
  if (selection === null) {
    selection = (await io.ask(`\nFix which findings? Numbers like 1,3,5, or all: `)).trim();
    if (!selection) { io.err('Nothing chosen: nothing was planned.'); return EXIT.cancelled; }
  }
  const chosen = selectFindings(all, selection);
  if (!chosen.ok) { io.err(`Cannot fix findings: ${chosen.reason}.`); return EXIT.usage; }
  io.err(`Fixing ${chosen.findings.map((f) => f.id).join(', ')}.`);
  const picked = new Set(chosen.findings.map((f) => f.id));
  return { from, pattern: listed.run.pattern, findings: chosen.findings, notChosen: all.filter((f) => !picked.has(f.id)) };
}
