/**
 * Fix Findings: how much of an audit a build's parent (its planner) carries. A simulated fan-out
 * audit of the demo shop runs, then a build from all its findings is planned, with the real
 * engine, SDK and git against the fake Messages API. Measured: the findings block the planner's
 * first request holds (what the build takes from the audit) ÷ the audit's summary.md, beside the
 * planner's whole first prompt and everything the audit's agents wrote.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfig } from '../../src/engine/config';
import { listRunFindings } from '../../src/engine/findings';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { Orchestrator } from '../../src/engine/orchestrator';
import { estimateTokens } from '../../src/engine/text';
import { simulate } from '../../src/simulator/brain';
import { promptText, section } from '../../src/simulator/conversation';
import { startMessagesServer } from '../../src/simulator/server';
import type { ParsedRequest, Reply } from '../../src/simulator/types';
import { fixed, type MeasureResult } from './result';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });

/** Tokens of every markdown file under a folder (what the audit's agents wrote). */
function tokensUnder(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += tokensUnder(p);
    else if (e.name.endsWith('.md') && statSync(p).isFile()) n += estimateTokens(readFileSync(p, 'utf8'));
  }
  return n;
}

export async function measureFixFindings(): Promise<MeasureResult> {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'orch-bench-fix-'));
  const wt = mkdtempSync(path.join(os.tmpdir(), 'orch-bench-fix-wt-'));
  cpSync(path.join(__dirname, '..', 'examples', 'demo-shop'), ws, { recursive: true });
  git(ws, 'init', '-q', '-b', 'main');
  git(ws, 'add', '-A');
  git(ws, 'commit', '-q', '-m', 'bench');
  let firstPlannerPrompt: { whole: number; findings: number } | null = null;
  const handler = (req: ParsedRequest): Reply => {
    if (!firstPlannerPrompt && req.tools.some((t) => t.name === 'plan_build')) {
      const text = promptText(req);
      firstPlannerPrompt = { whole: estimateTokens(req.system.map((s) => s.text).join('\n') + text), findings: estimateTokens(section(text, 'Findings to fix') ?? '') };
    }
    return simulate(req, ws);
  };
  const server = await startMessagesServer({ handler });
  try {
    const config = parseConfig({ worktreesDir: wt });
    const orchestrator = new Orchestrator({
      workspace: ws, config, simulated: true,
      model: new AnthropicModelClient({ apiKey: 'bench', baseUrl: server.url }), promptsDir: path.join(__dirname, '..', 'prompts'),
    });
    const audit = await orchestrator.plan({ task: 'Audit this repo for security issues', pattern: 'fan-out' });
    const auditOutcome = await audit.execute();
    await audit.ledger.close();
    const listed = await listRunFindings(ws, config.outputRoot, audit.id);
    if (!listed.ok) throw new Error(`bench: the audit offers no findings: ${listed.reason}`);
    const build = await orchestrator.plan({
      task: `Fix the selected findings from ${audit.id}`, pattern: 'build',
      findings: { from: audit.id, pattern: listed.run.pattern, findings: listed.run.findings },
    });
    await build.ledger.close();
    const summary = estimateTokens(readFileSync(path.join(audit.dir, 'summary.md'), 'utf8'));
    const written = tokensUnder(audit.dir);
    const parent = firstPlannerPrompt as { whole: number; findings: number } | null;
    if (!parent) throw new Error('bench: the build planner was never asked');
    const ratio = parent.findings / summary;
    return {
      rows: [{
        n: 'F1', measure: `parent context of a fix-findings build (the findings its planner reads) ÷ the audit's summary.md (${listed.run.findings.length} findings)`,
        value: fixed(ratio), before: '—', target: 'measured', ok: auditOutcome.status === 'completed' && parent.findings > 0,
      }],
      raw: [
        `fix findings: ${listed.run.findings.length} findings in ${parent.findings} tokens of the build planner's first prompt (${parent.whole} tokens in all, with the workspace overview); `
          + `the audit's summary.md ${summary} tokens, everything its agents wrote ${written} tokens`,
      ],
    };
  } finally {
    await server.close();
    rmSync(ws, { recursive: true, force: true });
    rmSync(wt, { recursive: true, force: true });
  }
}
