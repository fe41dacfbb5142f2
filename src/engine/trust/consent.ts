import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../config';
import { writeFileAtomic } from '../files';
import type { WorkspaceCommand } from './configPolicy';
import { userStateDir } from './userState';

/**
 * The user's consent to run a repository's own command (its `verifyCommand`), remembered per
 * workspace and exact command text, so a changed command asks again. Kept in the user's state
 * folder, never in the workspace: a repository cannot ship its own consent.
 */
export interface CommandConsent {
  has(workspace: string, command: string): Promise<boolean>;
  grant(workspace: string, command: string): Promise<void>;
}

/** A plan needs a repository's command that the user has not approved: nothing ran. */
export class WorkspaceCommandError extends ConfigError {
  constructor(readonly runId: string, readonly command: WorkspaceCommand) {
    super(`Run ${runId} would run \`${command.command}\` from ${command.source} in each builder's worktree, and you have not approved that command. `
      + 'Approve the plan that shows it (VS Code), or pass --allow-workspace-command (CLI).');
    this.name = 'WorkspaceCommandError';
  }
}

const FileSchema = z.object({
  version: z.literal(1),
  entries: z.record(z.string(), z.object({ workspace: z.string(), command: z.string(), grantedAt: z.string() })),
});

/** Consent kept in `<user state>/consent.json`; an unreadable file counts as no consent at all. */
export class FileCommandConsent implements CommandConsent {
  constructor(private readonly file: string = path.join(userStateDir(), 'consent.json')) {}

  async has(workspace: string, command: string): Promise<boolean> {
    return (await this.read()).entries[keyOf(workspace, command)] !== undefined;
  }

  async grant(workspace: string, command: string): Promise<void> {
    const data = await this.read();
    data.entries[keyOf(workspace, command)] = { workspace: path.resolve(workspace), command, grantedAt: new Date().toISOString() };
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file, JSON.stringify(data, null, 2));
  }

  private async read(): Promise<z.infer<typeof FileSchema>> {
    try {
      const parsed = FileSchema.safeParse(JSON.parse(await fs.readFile(this.file, 'utf8')));
      if (parsed.success) return parsed.data;
    } catch { /* missing or torn: no consent */ }
    return { version: 1, entries: {} };
  }
}

function keyOf(workspace: string, command: string): string {
  return createHash('sha256').update(`${path.resolve(workspace)}\0${command}`).digest('hex');
}
