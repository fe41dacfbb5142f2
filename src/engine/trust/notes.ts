import type { LedgerSnapshot } from '../types';
import { SET_INSTEAD, type IgnoredSetting } from './configPolicy';

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
  return [...notes, ...describeIgnored(s.ignoredSettings ?? [])];
}

/**
 * The ignored settings as lines to read: the machine-only keys of one file in one line (three
 * keys from .vscode/settings.json are one thing to fix, not three), each raised bound in its own
 * with its value and default.
 */
export function describeIgnored(ignored: readonly Pick<IgnoredSetting, 'key' | 'source' | 'reason' | 'kind'>[]): string[] {
  const lines: string[] = [];
  const machineOnly = new Map<string, string[]>();
  for (const i of ignored) {
    if (i.kind === 'bound') lines.push(`Ignored "${i.key}" from ${i.source}: ${i.reason}.`);
    else machineOnly.set(i.source, [...(machineOnly.get(i.source) ?? []), i.key]);
  }
  const grouped = [...machineOnly].map(([source, keys]) => {
    const names = keys.map((k) => `"${k}"`);
    const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
    const them = keys.length === 1 ? 'it is a machine-only setting a repository may not choose; set it' : 'they are machine-only settings a repository may not choose; set them';
    return `Ignored ${list} from ${source}: ${them} ${SET_INSTEAD}.`;
  });
  return [...grouped, ...lines];
}
