/**
 * The build phase's parallelism: the same change (a doc comment on each of 16 files) made by 4
 * builders of 4 files each, and by one builder owning all 16, in the same git repository, with
 * the real engine, SDK, worktrees, commits, reviews and assembly against the fake Messages API.
 * A builder's turn costs model time in proportion to the files it handles (60 ms a file), as a
 * real model's output does; git's own cost is real. Measured: the wall time of execute() (the
 * build phase: builders → reviews → assembly; the scouts ran before approval).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfig } from '../../src/engine/config';
import { discardRun } from '../../src/engine/git';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { Orchestrator } from '../../src/engine/orchestrator';
import { simulate } from '../../src/simulator/brain';
import { promptText, roleOf } from '../../src/simulator/conversation';
import { startMessagesServer } from '../../src/simulator/server';
import type { ParsedRequest, Reply } from '../../src/simulator/types';
import { fixed, ms, type MeasureResult } from './result';

const FILES = 16;
const PARALLEL = 4;
const MS_PER_FILE = 60;
/** 4 builders: ideally ¼ of one builder's time; git and the reviews keep it above that. */
const TARGET = 0.5;

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });

/** The files the bench builders own: the first FILES source files of the workspace, as git lists them. */
function sourceFiles(ws: string): string[] {
  return git(ws, 'ls-files', 'src').split('\n').filter((f) => f.endsWith('.ts')).slice(0, FILES);
}

async function buildOnce(workspace: string, builders: number): Promise<{ wallMs: number; status: string; files: number }> {
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
      workspace, // B1 measures the builders' phase as it always has; the whole pipeline after it is P1 (pipeline.ts).
      config: parseConfig({ maxConcurrent: 8, worktreesDir: wt, harden: false }), simulated: true,
      model: new AnthropicModelClient({ apiKey: 'bench', baseUrl: server.url }), promptsDir: path.join(__dirname, '..', 'prompts'),
    });
    const run = await orchestrator.plan({ task: 'Add a doc comment to every source file', pattern: 'build' });
    const started = performance.now();
    const outcome = await run.execute();
    const wallMs = performance.now() - started;
    await run.ledger.close();
    const changed = run.ledger.agents.reduce((n, a) => n + (a.changes?.files.length ?? 0), 0);
    // Leave the repository as it was for the next measure: no worktrees or branches of this run.
    await discardRun({ repo: workspace, runId: run.id, rootOverride: wt });
    return { wallMs, status: outcome.status, files: changed };
  } finally {
    await server.close();
    rmSync(wt, { recursive: true, force: true });
  }
}

export async function measureBuild(workspace: string): Promise<MeasureResult> {
  git(workspace, 'init', '-q');
  git(workspace, 'add', '-A');
  git(workspace, 'commit', '-q', '-m', 'bench');
  const one = await buildOnce(workspace, 1);
  const many = await buildOnce(workspace, PARALLEL);
  const ratio = many.wallMs / one.wallMs;
  const ok = one.status === 'completed' && many.status === 'completed' && one.files === FILES && many.files === FILES && ratio <= TARGET;
  return {
    rows: [{
      n: 'B1', measure: `build phase wall time, ${PARALLEL} parallel builders ÷ 1 builder (${FILES} files, worktrees, reviews, assembly)`,
      value: fixed(ratio), before: '—', target: `≤ ${fixed(TARGET)}`, ok,
    }],
    raw: [
      `1 builder: ${ms(one.wallMs)} (${one.status}, ${one.files} files changed); ${PARALLEL} builders: ${ms(many.wallMs)} (${many.status}, ${many.files} files changed); `
        + `model time per builder turn ${MS_PER_FILE} ms a file`,
    ],
  };
}
