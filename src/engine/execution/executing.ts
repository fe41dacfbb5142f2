import * as path from 'node:path';
import type { Run } from './run';

/**
 * Here beside the Run class (execution/run.ts), which it indexes.
 *
 * Runs executing in this process, by run folder, whichever Orchestrator started them (a VS Code
 * window holds one per run): a command on one of them is refused, or, for Stop and Ask, served by it.
 */
const EXECUTING = new Map<string, Run>();

/** The Run executing in this process for a run folder, if any. */
export function executingRun(dir: string): Run | undefined {
  return EXECUTING.get(path.resolve(dir));
}

/** Marks a Run as executing here; false when one already is, for the same folder. */
export function markExecuting(run: Run): boolean {
  const key = path.resolve(run.dir);
  if (EXECUTING.has(key)) return false;
  EXECUTING.set(key, run);
  return true;
}

export function unmarkExecuting(run: Run): void {
  const key = path.resolve(run.dir);
  if (EXECUTING.get(key) === run) EXECUTING.delete(key);
}
