import type { LedgerSnapshot } from '../types';

/**
 * What a plan says about trust, in the same words wherever it is shown (plan.md, the CLI, the
 * Summary view, the plan editor): the repository's command it will run, and the settings the
 * repository set that were not obeyed.
 */
export function trustNotes(s: Pick<LedgerSnapshot, 'workspaceCommand' | 'ignoredSettings'>): string[] {
  const notes: string[] = [];
  if (s.workspaceCommand) {
    notes.push(`Will run \`${s.workspaceCommand.command}\` in each builder's worktree, from ${s.workspaceCommand.source}: a command the repository chose, which runs only once you approve this plan.`);
  }
  for (const i of s.ignoredSettings ?? []) notes.push(`Ignored "${i.key}" from ${i.source}: ${i.reason}.`);
  return notes;
}
