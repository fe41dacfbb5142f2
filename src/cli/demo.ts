/**
 * `orchestrate demo [--pattern NAME]`: the simulated example on a scratch copy of the demo shop,
 * so trying a pattern (build above all, which needs a git repository and proposes a change to
 * apply) never touches this repository or its branches.
 */
import { cp, mkdtemp } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { patternNamed, runGit, type PatternChoice } from '../engine';

/** `demo --greenfield`'s task: new software in an empty repository (issue 17's example). */
export const GREENFIELD_DEMO_TASK = 'Build a small billing service with auth, API and a CLI';

/** Settings a pattern's demo runs with unless the user's flags say otherwise, as the pattern declares them (Pattern.demo). */
export function demoSettings(pattern: PatternChoice): Record<string, unknown> {
  return patternNamed(pattern)?.demo?.settings ?? {};
}

export const DEFAULT_DEMO_TASK = 'Audit this repo for security issues';

/** What a pattern's demo asks: a task its planner would route to that pattern (Pattern.demo), else the audit. */
export function demoTask(pattern: PatternChoice): string {
  return patternNamed(pattern)?.demo?.task ?? DEFAULT_DEMO_TASK;
}

/** A fresh copy of examples/demo-shop in the temp folder, made a git repository with one commit. */
export async function demoWorkspace(examplesDir: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orchestration-demo-'));
  await cp(path.join(examplesDir, 'demo-shop'), dir, { recursive: true, filter: (src) => !src.includes('.orchestration') });
  await runGit(['init', '-q'], { cwd: dir });
  await runGit(['add', '-A'], { cwd: dir });
  await runGit(['commit', '-q', '-m', 'The demo shop'], { cwd: dir, engineIdentity: true });
  return dir;
}

/**
 * A new, empty git repository in the temp folder for `demo --greenfield`: one empty commit (builders
 * branch from a commit) and no files, so the build starts from nothing but the task.
 */
export async function greenfieldWorkspace(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orchestration-greenfield-'));
  await runGit(['init', '-q'], { cwd: dir });
  await runGit(['commit', '-q', '--allow-empty', '-m', 'An empty repository'], { cwd: dir, engineIdentity: true });
  return dir;
}
