/**
 * `orchestrate approve <runId> <stageId>`: the user's approval of a workflow stage's approval
 * gate. It writes the approval into the run folder and runs nothing: `orchestrate resume` then
 * runs the stages that waited for it. Needs no API key.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { approveStage, checkedRunDir, ConfigError, validatePlan, type Config } from '../engine';
import type { CliArgs } from './args';
import type { Io } from './changes';
import { EXIT } from './exitCodes';
import { commandLine, shownPath } from './hint';

export async function approveCommand(workspace: string, config: Config, args: CliArgs, io: Io): Promise<number> {
  const [runId, stageId] = args.positionals;
  try {
    const dir = await checkedRunDir(workspace, config.outputRoot, runId);
    let raw: unknown;
    try {
      raw = JSON.parse(await fs.readFile(path.join(dir, 'plan.json'), 'utf8'));
    } catch {
      throw new ConfigError(`Run ${runId} has no readable plan.json in ${shownPath(dir)}`);
    }
    const check = validatePlan(raw, null);
    if (!check.ok) throw new ConfigError(`Run ${runId} has an invalid plan.json:\n  ${check.errors.join('\n  ')}`);
    const file = await approveStage(dir, check.plan, stageId, new Date(), userName());
    io.err(`Approved stage ${stageId} of run ${runId} (${shownPath(file)}). The stages after it run when you resume: ${commandLine(['resume', runId], workspace)}`);
    return EXIT.completed;
  } catch (e) {
    if (e instanceof ConfigError) { io.err(e.message); return EXIT.usage; }
    throw e;
  }
}

/** Who approved, as the system knows them; nothing when it cannot say (a container without a passwd entry). */
function userName(): string | undefined {
  try {
    return os.userInfo().username || undefined;
  } catch {
    return undefined;
  }
}
