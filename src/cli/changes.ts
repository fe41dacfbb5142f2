/**
 * `orchestrate diff|apply|discard <runId>`: the user's gate on a build run's change. Nothing of a
 * build reaches the working tree before `apply`; `apply` never commits, pushes or switches
 * branches, and refuses to overwrite uncommitted edits.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import {
  applyRunChanges, CHANGES_PATCH, describeDiscard, discardRunChanges, effectiveStatus, readChangeSet, readLedger, runDir, type Config,
} from '../engine';
import type { CliArgs } from './args';
import { plural } from '../shared/words';
import { commandLine } from './hint';

export interface Io { out(s: string): void; err(s: string): void }

/** Runs one of the three change commands; returns the exit code. */
export async function changesCommand(workspace: string, config: Config, args: CliArgs, io: Io): Promise<number> {
  const runId = args.positional!;
  let dir: string;
  try {
    dir = runDir(workspace, config.outputRoot, runId);
    const snap = await readLedger(workspace, config.outputRoot, runId);
    const status = effectiveStatus(snap);
    if ((status === 'running' || status === 'planning') && args.command !== 'diff') {
      io.err(`Run ${runId} is ${status} in another process (pid ${snap.pid}); wait for it to finish before you ${args.command} its changes.`);
      return 1;
    }
  } catch (e) {
    io.err((e as Error).message);
    return 2;
  }
  const rootOverride = config.worktreesDir;
  try {
    if (args.command === 'discard') {
      io.out(describeDiscard(runId, await discardRunChanges({ workspace, runDir: dir, runId, rootOverride })));
      return 0;
    }
    const changes = await readChangeSet(dir);
    if (!changes) {
      io.err(`Run ${runId} has no proposed change: it is not a build run, or it has not assembled its builders' work yet (see: ${commandLine(['status', runId], workspace)}).`);
      return 1;
    }
    if (args.command === 'diff') {
      if (changes.state !== 'proposed') io.err(`(These changes were ${changes.state}.)`);
      if (args.stat) {
        for (const f of changes.files) io.out(`${f.status.padEnd(9)} +${String(f.added).padEnd(5)} -${String(f.removed).padEnd(5)} ${f.path}`);
        io.out(`${plural(changes.files.length, 'file')}, +${changes.files.reduce((n, f) => n + f.added, 0)} -${changes.files.reduce((n, f) => n + f.removed, 0)}`);
      } else {
        process.stdout.write(await readFile(path.join(dir, CHANGES_PATCH), 'utf8'));
      }
      return 0;
    }
    if (changes.state !== 'proposed') {
      io.err(`The changes of run ${runId} were already ${changes.state}.`);
      return 1;
    }
    const { applied, remaining } = await applyRunChanges({ workspace, runDir: dir, runId, rootOverride, ...(args.files.length ? { files: args.files } : {}) });
    io.out(`Applied ${plural(applied.length, 'file')} to your working tree (not committed):`);
    for (const f of applied) io.out(`  ${f}`);
    if (remaining.length) io.out(`Still proposed: ${remaining.join(', ')} (apply them, or discard the rest with: ${commandLine(['discard', runId], workspace)}).`);
    return 0;
  } catch (e) {
    io.err((e as Error).message);
    return 1;
  }
}
