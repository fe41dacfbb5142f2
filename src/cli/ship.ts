/**
 * `orchestrate ship <runId> [--branch NAME] [--push REMOTE] [--message-file F]`: a finished build's
 * approved change as one commit on a new branch. Never touches the current branch, index or
 * working tree; pushes only with --push, as the user's own git (its output shown).
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { branchNameProblem, checkedRunDir, CommandRefusedError, describeShip, repoInfo, shipRun, ShipRefusedError, type Config } from '../engine';
import type { CliArgs } from './args';
import { EXIT } from './exitCodes';
import type { Io } from './changes';

export async function shipCommand(workspace: string, config: Config, args: CliArgs, io: Io): Promise<number> {
  const runId = args.positional!;
  let message: string | undefined;
  try {
    await checkedRunDir(workspace, config.outputRoot, runId);
    if (args.branch !== undefined) {
      const problem = await branchNameProblem((await repoInfo(workspace)).root, args.branch);
      if (problem) { io.err(`--branch: ${problem}.`); return EXIT.usage; }
    }
    if (args.messageFile !== undefined) {
      message = await readFile(path.resolve(args.messageFile), 'utf8');
      if (!message.trim()) { io.err(`--message-file ${args.messageFile} is empty.`); return EXIT.usage; }
    }
  } catch (e) {
    io.err((e as Error).message);
    return EXIT.usage;
  }
  try {
    const result = await shipRun({
      workspace, outputRoot: config.outputRoot, runId, rootOverride: config.worktreesDir, allowForeign: args.allowForeignRun,
      ...(args.branch !== undefined ? { branch: args.branch } : {}),
      ...(message !== undefined ? { message } : {}),
      ...(args.push !== undefined ? { push: { remote: args.push, interactive: true } } : {}),
    });
    for (const line of describeShip(runId, result)) io.out(line);
    if (result.push?.output) io.err(result.push.output);
    return result.push && !result.push.ok ? EXIT.failed : EXIT.completed;
  } catch (e) {
    if (e instanceof ShipRefusedError) {
      io.err(`Refused to ship run ${runId}:`);
      for (const r of e.reasons) io.err(`  - ${r}`);
      return EXIT.failed;
    }
    if (e instanceof CommandRefusedError) { io.err(`Refused: ${e.message}`); return EXIT.failed; }
    io.err((e as Error).message);
    return EXIT.failed;
  }
}
