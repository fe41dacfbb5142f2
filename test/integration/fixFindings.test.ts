/**
 * Fix Findings from the CLI, through the real SDK over HTTP and real git: a simulated audit, then
 * `run --from <audit> --findings …` plans a build from the chosen findings, and its summary.md maps
 * each of them; runs that offer nothing to fix are refused with exit 2 and the reason.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../../src/simulator/brain';
import type { Reply } from '../../src/simulator/types';
import { gitWorkspace, repoState, worktreesDir } from './buildHarness';
import { listRunFindings } from '../../src/engine/findings';
import { makeWorkspace, orchestrator, CLI, cliAsync, readJson, startFake, type Fake, type Fault } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });
beforeAll(() => { if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)'); });

const env = (): NodeJS.ProcessEnv => ({ ...process.env, ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake!.server.url });
const cli = (args: string[]) => cliAsync(args, env());
const runs = (ws: string): string[] => readdirSync(path.join(ws, '.orchestration')).filter((n) => /^\d{8}-/.test(n)).sort();

interface Builder { id: string; owns: string[]; addresses?: string[] }

/** The simulated model, except that the builders' planner leaves `drop` unaddressed (a finding it judged out of scope). */
function dropping(drop: string): Fault {
  return (req, _ctx, _agent) => {
    const reply: Reply = simulate(req, fake!.workspace);
    if (reply.kind !== 'message') return reply;
    for (const b of reply.content) {
      if (b.type === 'tool_use' && b.name === 'plan_builders') {
        for (const spec of (b.input as { builders: Builder[] }).builders) spec.addresses = (spec.addresses ?? []).filter((id) => id !== drop);
      }
    }
    return reply;
  };
}

async function audit(ws: string): Promise<string> {
  const r = await cli(['run', 'Audit this repo for security issues', '--pattern', 'fan-out', '--yes', '--workspace', ws]);
  expect(r.code, r.stderr).toBe(0);
  return runs(ws).at(-1)!;
}

describe('orchestrate run --from <audit> --findings', () => {
  it('plans the scouts from the chosen findings\' files, shows which finding each builder addresses, and maps every finding in summary.md', async () => {
    const ws = gitWorkspace();
    const wt = worktreesDir();
    fake = await startFake(ws, dropping('F2'));
    const auditId = await audit(ws);
    const before = repoState(ws);

    const r = await cli(['run', '--from', auditId, '--findings', '1,2,4', '--pattern', 'build', '--yes', '--workspace', ws, '--set', `worktreesDir=${wt}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/1\. \[critical\] src\/api\/orders\.js:6 — query built from interpolated values/);
    expect(r.stderr).toMatch(/Fixing F1, F2, F4\./);
    expect(r.stderr).toMatch(/Planning: Fix the selected findings from /);
    // Two runs started in one second sort by their random suffix: find the new one by what it is not.
    const id = runs(ws).find((x) => x !== auditId)!;
    const dir = path.join(ws, '.orchestration', id);

    const chosen = readJson<{ from: string; pattern: string; findings: Array<{ id: string; file: string | null; severity: string }>; notChosen: Array<{ id: string }> }>(path.join(dir, 'findings.json'));
    expect(chosen.from).toBe(auditId);
    // The unticked ones are kept too: a finding the user rejected is a lesson memory may propose.
    expect(chosen.notChosen.map((f) => f.id)).not.toContain('F1');
    expect(chosen.notChosen.map((f) => f.id)).toContain('F3');
    expect(chosen.pattern).toBe('fan-out');
    expect(chosen.findings.map((f) => f.id)).toEqual(['F1', 'F2', 'F4']);
    expect(chosen.findings[0]).toMatchObject({ severity: 'critical', file: 'src/api/orders.js' });

    const plan = readJson<{ scouts: Array<{ scope: string[] }>; builders: Builder[] }>(path.join(dir, 'plan.json'));
    const cited = [...new Set(chosen.findings.map((f) => f.file!))];
    // Scouts start from the cited files, not from the workspace's top-level folders.
    expect(plan.scouts.flatMap((s) => s.scope).sort()).toEqual(cited.sort());
    expect(plan.builders.flatMap((b) => b.addresses ?? []).sort()).toEqual(['F1', 'F4']);
    const planMd = readFileSync(path.join(dir, 'plan.md'), 'utf8');
    for (const b of plan.builders) if (b.addresses?.length) expect(planMd).toContain(`Fixes ${b.addresses.join(', ')}:`);
    expect(r.stderr).toMatch(/builder\s+Fixes F/);

    const summary = readFileSync(path.join(dir, 'summary.md'), 'utf8');
    expect(summary).toMatch(/## Findings\n\nOf 3 selected findings: 2 fixed, 0 not fixed, 1 out of scope\./);
    expect(summary).toMatch(/\| F1 \[critical\] src\/api\/orders\.js:6 — [^|]+\| fixed \| b\d \| — \|/);
    expect(summary).toMatch(/\| F2 [^|]+\| out of scope \| — \| no builder addressed it \|/);
    expect(summary).toMatch(/\| F4 [^|]+\| fixed \| b\d \|/);
    // Nothing reaches the user's branch, index or tree before Apply (the run's own branches and worktrees wait for it).
    const after = repoState(ws);
    expect([after.head, after.branch, after.status, after.staged]).toEqual([before.head, before.branch, before.status, before.staged]);
  });

  it('refuses, with exit 2 and the reason, a run still running, a run without findings, a build run and a tampered ledger', async () => {
    const ws = gitWorkspace();
    fake = await startFake(ws);
    const auditId = await audit(ws);
    const dir = path.join(ws, '.orchestration', auditId);
    const ledgerFile = path.join(dir, 'ledger.json');
    const ledger = readFileSync(ledgerFile, 'utf8');
    const from = (id: string, ...more: string[]) => cli(['run', '--from', id, '--yes', '--workspace', ws, ...more]);

    // Still running: its ledger says so and names a live process (this test's).
    writeFileSync(ledgerFile, JSON.stringify({ ...JSON.parse(ledger), status: 'running', pid: process.pid }));
    const running = await from(auditId);
    expect(running.code).toBe(2);
    expect(running.stderr).toMatch(new RegExp(`Cannot fix findings: Run ${auditId} is still running; Fix Findings needs a finished`));

    // A path the ledger names outside the run folder is never read.
    const snap = JSON.parse(ledger) as { agents: Array<{ role: string; outputFile: string }> };
    writeFileSync(ledgerFile, JSON.stringify({ ...snap, agents: snap.agents.map((a) => (a.role === 'coordinator' ? { ...a, outputFile: '../../../outside.md' } : a)) }));
    const tampered = await from(auditId);
    expect(tampered.code).toBe(2);
    expect(tampered.stderr).toMatch(/outputFile "\.\.\/\.\.\/\.\.\/outside\.md"; expected a \.md file inside the run folder/);

    // Synthesis files that list nothing to fix.
    writeFileSync(ledgerFile, ledger);
    for (const f of readdirSync(path.join(dir, 'synthesis'))) writeFileSync(path.join(dir, 'synthesis', f), '## Top findings\n\n- No actionable findings were reported.\n\n<!-- DONE -->\n');
    writeFileSync(path.join(dir, 'summary.md'), '# Summary\n\nAll clear.\n');
    const none = await from(auditId);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(new RegExp(`Run ${auditId} has no findings to fix: its synthesis files \\(synthesis/a\\.md, .*summary\\.md\\) list none`));

    // A build is not an audit.
    const b = await cli(['run', 'Add a doc comment to every source file', '--pattern', 'build', '--yes', '--workspace', ws, '--set', `worktreesDir=${worktreesDir()}`]);
    expect(b.code, b.stderr).toBe(0);
    const buildId = runs(ws).find((x) => x !== auditId)!;
    const notAudit = await from(buildId);
    expect(notAudit.code).toBe(2);
    expect(notAudit.stderr).toMatch(/is a build run; findings come from a finished fan-out, panel or map-reduce run/);

    const wrongPattern = await from(auditId, '--pattern', 'panel');
    expect(wrongPattern.code).toBe(2);
    expect(wrongPattern.stderr).toMatch(/--pattern panel cannot/);
    const badPick = await cli(['run', '--from', auditId, '--findings', '99', '--yes', '--workspace', ws]);
    expect(badPick.code).toBe(2);
  });

  it('lists the findings of a simulated panel and map-reduce audit, each with severity and file', async () => {
    const ws = makeWorkspace();
    fake = await startFake(ws);
    const o = orchestrator(fake);
    for (const pattern of ['panel', 'map-reduce'] as const) {
      const run = await o.plan({ task: 'Is the auth code safe to ship?', pattern });
      await run.execute();
      await run.ledger.close();
      const listed = await listRunFindings(ws, '.orchestration', run.id);
      expect(listed.ok, listed.ok ? '' : listed.reason).toBe(true);
      if (!listed.ok) continue;
      expect(listed.run.pattern).toBe(pattern);
      expect(listed.run.findings.length).toBeGreaterThan(0);
      expect(listed.run.findings.every((f) => f.file !== null && f.severity !== null && f.source === 'summary.md')).toBe(true);
    }
    await expect(o.plan({ task: 'Fix them', pattern: 'build', findings: { from: 'x', pattern: 'panel', findings: [] } })).rejects.toThrow(/findings to fix are not valid/);
  });
});
