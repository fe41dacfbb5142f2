/**
 * The whole build pipeline: a doc comment on each of 16 files, made by 4 builders of 4 files each
 * and by one builder owning all 16, in the same git repository, then reviews, the integration
 * check on the assembled tree (a real command), the fixer's step, the four hardeners and the last
 * step, with the real engine, SDK, worktrees and commits against the fake Messages API. A
 * builder's turn costs model time in proportion to its files (60 ms a file); every other request
 * 20 ms. Measured: the wall time of execute(), and the share of the hardeners' prompt tokens read
 * from the prompt cache (they share the combined diff as a cached prefix).
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
import { fixed, ms, pct, type MeasureResult } from './result';

const FILES = 16;
const PARALLEL = 4;
const MS_PER_FILE = 60;
const WALL_TARGET = 0.55;
const CACHE_TARGET = 0.6;
/** A real check on every worktree and on the assembled tree: node starting and exiting. */
const CHECK = 'node -e "process.exitCode = 0"';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });

/** The workspace as a git repository with everything committed (the build bench may have made it one already). */
function ensureRepo(ws: string): void {
  try { git(ws, 'rev-parse', '--verify', 'HEAD'); } catch { git(ws, 'init', '-q'); }
  git(ws, 'add', '-A');
  if (git(ws, 'status', '--porcelain').trim()) git(ws, 'commit', '-q', '-m', 'bench');
}

function sourceFiles(ws: string): string[] {
  return git(ws, 'ls-files', 'src').split('\n').filter((f) => f.endsWith('.ts')).slice(0, FILES);
}

interface Measured { wallMs: number; status: string; files: number; harden: { prompt: number; cacheRead: number }; integration: string; spans: string }

async function pipelineOnce(workspace: string, builders: number): Promise<Measured> {
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
      workspace, config: parseConfig({ maxConcurrent: 8, worktreesDir: wt, verifyCommand: CHECK }), simulated: true,
      model: new AnthropicModelClient({ apiKey: 'bench', baseUrl: server.url }), promptsDir: path.join(__dirname, '..', 'prompts'),
    });
    const run = await orchestrator.plan({ task: 'Add a doc comment to every source file', pattern: 'build' });
    const started = performance.now();
    const outcome = await run.execute();
    const wallMs = performance.now() - started;
    await run.ledger.close();
    const changed = run.ledger.agents.reduce((n, a) => n + (a.role === 'builder' ? a.changes?.files.length ?? 0 : 0), 0);
    const harden = run.ledger.agents.filter((a) => a.role === 'hardener').reduce((s, a) => ({
      prompt: s.prompt + a.usage.input + a.usage.cacheRead + a.usage.cacheWrite, cacheRead: s.cacheRead + a.usage.cacheRead,
    }), { prompt: 0, cacheRead: 0 });
    const integration = run.ledger.get('integration')?.returned ?? 'missing';
    const t0 = Date.parse(run.ledger.agents.filter((a) => a.role !== 'scout' && a.role !== 'planner' && a.startedAt).map((a) => a.startedAt!).sort()[0] ?? '');
    const spans = ['builder', 'reviewer', 'integration', 'fixer', 'hardener', 'final'].map((role) => {
      const mine = run.ledger.agents.filter((a) => a.role === role && a.startedAt && a.endedAt);
      const from = Math.min(...mine.map((a) => Date.parse(a.startedAt!))) - t0;
      const to = Math.max(...mine.map((a) => Date.parse(a.endedAt!))) - t0;
      return `${role} ${from}–${to}`;
    }).join(', ');
    await discardRun({ repo: workspace, runId: run.id, rootOverride: wt });
    return { wallMs, status: outcome.status, files: changed, harden, integration, spans };
  } finally {
    await server.close();
    rmSync(wt, { recursive: true, force: true });
  }
}

export async function measurePipeline(workspace: string): Promise<MeasureResult> {
  ensureRepo(workspace);
  const one = await pipelineOnce(workspace, 1);
  const many = await pipelineOnce(workspace, PARALLEL);
  const ratio = many.wallMs / one.wallMs;
  const share = many.harden.prompt ? many.harden.cacheRead / many.harden.prompt : 0;
  const done = (m: Measured): boolean => m.status === 'completed' && m.files === FILES;
  return {
    rows: [
      {
        n: 'P1', measure: `whole build pipeline wall time, ${PARALLEL} builders ÷ 1 builder (${FILES} files: worktrees, checks, reviews, integration check, fixer, 4 hardeners, assembly)`,
        value: fixed(ratio), before: '—', target: `≤ ${fixed(WALL_TARGET)}`, ok: done(one) && done(many) && ratio <= WALL_TARGET,
      },
      {
        n: 'P2', measure: 'share of the harden stage\'s input tokens read from the prompt cache (4 auditors over one combined diff)',
        value: pct(share), before: '—', target: `≥ ${pct(CACHE_TARGET, 0)}`, ok: done(many) && share >= CACHE_TARGET,
      },
    ],
    raw: [
      `pipeline: 1 builder ${ms(one.wallMs)} (${one.status}, ${one.files} files); ${PARALLEL} builders ${ms(many.wallMs)} (${many.status}, ${many.files} files); `
        + `integration: ${many.integration}`,
      `stages (ms from the first builder's start): 1 builder: ${one.spans}; ${PARALLEL} builders: ${many.spans}`,
      `harden: ${many.harden.cacheRead} of ${many.harden.prompt} prompt tokens read from the cache (${PARALLEL}-builder run)`,
    ],
  };
}
