/** What the CLI shows of a greenfield build's architecture.md with the plan: where it is, its outline, and that edits count. */
import * as path from 'node:path';
import type { Run } from '../engine';
import { architectureOutline, readArchitecture } from '../engine/patterns/build/architect';
import { ARCHITECTURE_FILE } from '../engine/patterns/build/pipelineFiles';
import { shownPath } from './hint';

/** Lines to print under the plan table; none for a run without an architecture. */
export async function architectureLines(run: Run): Promise<string[]> {
  if (run.plan.pattern !== 'build' || (run.plan as { greenfield?: boolean }).greenfield !== true) return [];
  const file = path.join(run.dir, ARCHITECTURE_FILE);
  const text = await readArchitecture(run.dir);
  if (text === null) return [];
  const shared = ((run.plan as { shared?: string[] }).shared ?? []).join(', ') || 'none';
  return [
    '', `Greenfield: the architect's design is in ${shownPath(file)}. Edit it before you approve: the scaffold and builders read that file as it is then.`,
    ...architectureOutline(text).map((l) => `  ${l}`),
    `The scaffold commits the shared files (${shared}) and each module's entry file first; builders branch from that commit.`,
  ];
}
