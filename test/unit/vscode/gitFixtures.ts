/**
 * A real repository holding one builder's committed change, assembled and recorded as a build run
 * leaves it (src/orders.js edited, plus any other files given), for the tests of the Changes views
 * and Ship. Each test then writes what else its run folder needs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assemble, branchName, commitWorktree, ensureWorktree, recordChanges, repoInfo, type ChangeSet } from '../../../src/engine/git';
import { INTEGRATION_AGENT_ID } from '../../../src/engine/patterns/build/compile';

export const gitT = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.invalid', ...args], { cwd, encoding: 'utf8' });

export interface BuiltRepo { ws: string; wt: string; runDir: string; base: string; cs: ChangeSet }

/** `dirs` collects the temp folders for the test's cleanup; `files` are b1's files beyond its edit of src/orders.js. */
export async function builtRepo(runId: string, prefix: string, dirs: string[], files: Record<string, string> = {}): Promise<BuiltRepo> {
  const ws = mkdtempSync(path.join(os.tmpdir(), `${prefix}-ws-`));
  const wt = mkdtempSync(path.join(os.tmpdir(), `${prefix}-wt-`));
  dirs.push(ws, wt);
  mkdirSync(path.join(ws, 'src'));
  writeFileSync(path.join(ws, 'src/orders.js'), 'export function list() {}\n');
  gitT(ws, 'init', '-q', '-b', 'main');
  gitT(ws, 'add', '-A');
  gitT(ws, 'commit', '-q', '-m', 'init');
  const repo = await repoInfo(ws);
  const b1 = await ensureWorktree({ repo, runId, agentId: 'b1', base: repo.head, rootOverride: wt, linkDirs: [] });
  writeFileSync(path.join(b1.workspace, 'src/orders.js'), '/** Orders. */\nexport function list() {}\n');
  for (const [rel, text] of Object.entries(files)) writeFileSync(path.join(b1.workspace, rel), text);
  await commitWorktree(b1.root, 'b1');
  const builders = [{ agentId: 'b1', branch: branchName(runId, 'b1') }];
  const assembled = await assemble({ repo, runId, into: INTEGRATION_AGENT_ID, base: repo.head, branches: builders, rootOverride: wt });
  const runDir = path.join(ws, '.orchestration', runId);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(path.join(ws, '.orchestration', '.gitignore'), '*\n');
  const cs = await recordChanges({ repo, runDir, base: repo.head, assembled, builders });
  return { ws, wt, runDir, base: repo.head, cs };
}
