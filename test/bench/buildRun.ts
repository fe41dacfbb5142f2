/**
 * One build run of the bench's doc-comment change, shared by B1 (build.ts) and P1/P2
 * (pipeline.ts): `builders` builders own the workspace's first FILES source files between them, a
 * builder's turn costs MS_PER_FILE of model time a file it owns (as a real model's output does),
 * every other request 20 ms, and git's own cost is real. The real engine, SDK, worktrees and
 * commits run against the fake Messages API; the run's worktrees and branches are discarded after.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfig } from '../../src/engine/config';
import type { Run } from '../../src/engine/execution/run';
import { discardRun } from '../../src/engine/git';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { Orchestrator } from '../../src/engine/orchestrator';
import { simulate } from '../../src/simulator/brain';
import { promptText, roleOf } from '../../src/simulator/conversation';
import { startMessagesServer } from '../../src/simulator/server';
import type { ParsedRequest, Reply } from '../../src/simulator/types';

export const FILES = 16;
export const PARALLEL = 4;
export const MS_PER_FILE = 60;

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });

/** The workspace as a git repository with everything committed (an earlier measure may have made it one). */
export function ensureRepo(ws: string): void {
  try { git(ws, 'rev-parse', '--verify', 'HEAD'); } catch { git(ws, 'init', '-q'); }
  git(ws, 'add', '-A');
  if (git(ws, 'status', '--porcelain').trim()) git(ws, 'commit', '-q', '-m', 'bench');
}

/** The files the bench builders own: the first FILES source files of the workspace, as git lists them. */
function sourceFiles(ws: string): string[] {
  return git(ws, 'ls-files', 'src').split('\n').filter((f) => f.endsWith('.ts')).slice(0, FILES);
}

/**
 * Plans and executes the change with `builders` builders under `config` (beside maxConcurrent 8
 * and the worktrees folder), and returns execute()'s wall time, its outcome and what `inspect`
 * reads of the finished run (before its worktrees are discarded).
 */
export async function buildOnce<T>(workspace: string, builders: number, config: Record<string, unknown>, inspect: (run: Run) => T): Promise<{ wallMs: number; status: string } & T> {
  const files = sourceFiles(workspace);
  const per = Math.ceil(files.length / builders);
  const plan = Array.from({ length: builders }, (_, i) => ({
    id: `b${i + 1}`, tier: 'haiku', task: 'Add a one-line doc comment at the top of each file you own.', owns: files.slice(i * per, (i + 1) * per),
  }));
  const handler = (req: ParsedRequest): Reply => {
    if (req.tools.some((t) => t.name === 'plan_builders')) return { kind: 'message', content: [{ type: 'tool_use', name: 'plan_builders', input: { builders: plan } }] };
    return simulate(req, workspace);
  };
  const latencyMs = (req: ParsedRequest): number => {
    if (roleOf(req) !== 'builder') return 20;
    const owned = (/Files you own[^\n]*\n((?:- [^\n]+\n?)+)/.exec(promptText(req))?.[1] ?? '').split('\n').filter((l) => l.startsWith('- ')).length;
    return MS_PER_FILE * Math.max(1, owned);
  };
  const server = await startMessagesServer({ handler, latencyMs });
  const wt = mkdtempSync(path.join(os.tmpdir(), 'orch-bench-wt-'));
  try {
    const orchestrator = new Orchestrator({
      workspace, config: parseConfig({ maxConcurrent: 8, worktreesDir: wt, ...config }), simulated: true,
      model: new AnthropicModelClient({ apiKey: 'bench', baseUrl: server.url }), promptsDir: path.join(__dirname, '..', 'prompts'),
    });
    const run = await orchestrator.plan({ task: 'Add a doc comment to every source file', pattern: 'build' });
    const started = performance.now();
    const outcome = await run.execute();
    const wallMs = performance.now() - started;
    await run.ledger.close();
    const seen = inspect(run);
    // Leave the repository as it was for the next measure: no worktrees or branches of this run.
    await discardRun({ repo: workspace, runId: run.id, rootOverride: wt });
    return { wallMs, status: outcome.status, ...seen };
  } finally {
    await server.close();
    rmSync(wt, { recursive: true, force: true });
  }
}
