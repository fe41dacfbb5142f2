/**
 * Workflows end to end, through the real engine and the real SDK over HTTP against the fake
 * Messages API: the shipped examples run to completion offline; the contract workflow
 * runs one review agent per matching file as the user's agent (its body in the system prompt, no
 * shell), then the summary and its sanity check; a sanity check that blocks stops the stages
 * after it; an approval gate waits and a resume in the middle of the workflow goes on from there.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { Orchestrator } from '../../src/engine/orchestrator';
import { ConfigError } from '../../src/engine/config';
import { endsWithSentinel } from '../../src/engine/files';
import type { WorkflowPlan } from '../../src/engine/patterns/workflow';
import type { LedgerSnapshot } from '../../src/engine/types';
import { roleOf } from '../../src/simulator/conversation';
import type { ParsedRequest } from '../../src/simulator/types';
import { API_REVIEWER, API_REVIEWER_BODY } from '../fixtures/agents';
import { REVIEW_API_YAML } from '../fixtures/workflows';
import { CLI, cliAsync, keylessEnv, makeWorkspace, PROMPTS, readJson, ROOT, startFake, testConfig, type Fake, type Fault } from './harness';

let fake: Fake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

const put = (dir: string, file: string, text: string): void => {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), text);
};

/** The demo shop with the shipped example workflows and their agents in place. */
function exampleWorkspace(): string {
  const ws = makeWorkspace();
  const examples = path.join(ROOT, 'examples/workflows');
  for (const f of readdirSync(examples).filter((n) => n.endsWith('.yaml'))) cpSync(path.join(examples, f), path.join(ws, '.orchestration/workflows', f));
  cpSync(path.join(examples, 'agents'), path.join(ws, '.claude/agents'), { recursive: true });
  return ws;
}

/** The contract workspace: api/ modules, review-api.yaml and api-reviewer.md, exactly as written. */
function contractWorkspace(): string {
  const ws = makeWorkspace();
  cpSync(path.join(ws, 'src/api'), path.join(ws, 'api'), { recursive: true });
  put(ws, 'api/v2/items.js', 'export function items(req) {\n  return req.query.limit;\n}\n');
  put(ws, '.orchestration/workflows/review-api.yaml', REVIEW_API_YAML);
  put(ws, '.claude/agents/api-reviewer.md', API_REVIEWER);
  return ws;
}

async function engine(ws: string, fault?: Fault): Promise<Orchestrator> {
  fake = await startFake(ws, fault);
  return new Orchestrator({
    workspace: ws, config: testConfig(), promptsDir: PROMPTS, snapshotIntervalMs: 50, agentsHome: null,
    model: new AnthropicModelClient({ apiKey: 'test-key', baseUrl: fake.server.url }),
  });
}

describe('the shipped example workflows (simulated)', () => {
  for (const [name, stages] of [
    ['implement-test-review', ['plan', 'tests', 'review']],
    ['pr-review-panel', ['security', 'correctness', 'readability', 'verdict']],
    ['docs-map-reduce', ['summarise', 'map']],
  ] as const) {
    it(`${name} runs to completion offline`, async () => {
      const ws = exampleWorkspace();
      const orch = await engine(ws);
      const run = await orch.planWorkflow({ workflow: name, params: {} });
      expect(run.plan.pattern).toBe('workflow');
      const plan = run.plan as WorkflowPlan;
      expect(plan.stages.map((s) => s.id)).toEqual(stages);
      // No planner model call: the planner record completed at once, at no cost, and the estimate is there.
      const planner = run.ledger.get('planner')!;
      expect(planner.status).toBe('completed');
      expect(planner.requests).toBe(0);
      expect(run.ledger.snapshot().estimate!.costHighUsd).toBeGreaterThan(0);
      expect(fake!.log).toEqual([]);

      const outcome = await run.execute();
      await run.ledger.close();
      expect(outcome.reason).toBeNull();
      expect(outcome.status).toBe('completed');
      for (const a of run.ledger.agents.filter((x) => x.role !== 'planner')) {
        expect(endsWithSentinel(readFileSync(path.join(run.dir, a.outputFile), 'utf8')), a.id).toBe(true);
      }
      const summary = readFileSync(path.join(run.dir, 'summary.md'), 'utf8');
      expect(summary.startsWith('> _Simulated output')).toBe(true);
      expect(summary).toContain('## Results');
    }, 120_000);
  }

  it('docs-map-reduce proposes its reflection as lessons, and memory.md stays untouched', async () => {
    const ws = exampleWorkspace();
    const orch = await engine(ws);
    const run = await orch.planWorkflow({ workflow: 'docs-map-reduce', params: { audience: 'an auditor' } });
    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('completed');
    expect(run.ledger.get('map-reflect')!.status).toBe('completed');
    const proposals = readJson<{ proposals: Array<{ kind: string; status: string; evidence: string[] }> }>(path.join(run.dir, 'memory-proposals.json'));
    expect(proposals.proposals.length).toBeGreaterThan(0);
    expect(proposals.proposals.every((p) => p.kind === 'reflect' && p.status === 'proposed')).toBe(true);
    expect(proposals.proposals[0].evidence).toEqual(['reflections/map-reflect.json']);
    expect(existsSync(path.join(ws, '.orchestration/memory.md'))).toBe(false);
  }, 120_000);
});

describe("the issue's contract: review-api.yaml with api-reviewer.md", () => {
  it('runs one review agent per matching file as the user\'s agent (body in the system prompt, no Bash), then the summary and its sanity check', async () => {
    const ws = contractWorkspace();
    const requests: ParsedRequest[] = [];
    const orch = await engine(ws, (req) => { requests.push(req); return undefined; });
    const run = await orch.planWorkflow({ workflow: 'review-api', params: { concern: 'error handling' } });
    const plan = run.plan as WorkflowPlan;
    expect(plan.params).toEqual({ concern: 'error handling' });
    expect(plan.workflow.source).toBe('.orchestration/workflows/review-api.yaml');
    expect(plan.stages[0].items).toEqual(['api/orders.js', 'api/server.js', 'api/v2/items.js']);

    const reviewers = run.ledger.agents.filter((a) => a.domain === 'review' && a.role === 'stage');
    expect(reviewers.map((a) => [a.id, a.scope, a.agentDefinition, a.tier])).toEqual([
      ['review-1', ['api/orders.js'], 'api-reviewer', 'haiku'],
      ['review-2', ['api/server.js'], 'api-reviewer', 'haiku'],
      ['review-3', ['api/v2/items.js'], 'api-reviewer', 'haiku'],
    ]);
    expect(reviewers[0].task).toBe('Review api/orders.js for error handling.');
    for (const a of reviewers) expect(a.agentNotes).toContain('Bash not given: no tool runs a shell here');
    const summary = run.ledger.get('summary')!;
    expect(summary.dependsOn).toEqual(['review-1', 'review-2', 'review-3']);
    expect(run.ledger.get('summary-sanity')!.dependsOn).toEqual(['summary']);
    expect(run.ledger.get('final')!.dependsOn).toEqual(['summary-sanity']);
    const planMd = readFileSync(path.join(run.dir, 'plan.md'), 'utf8');
    expect(planMd).toMatch(/review-1 \(@api-reviewer\): .*Bash not given: no tool runs a shell here/);

    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('completed');
    const reviewRequests = requests.filter((r) => /# Your assignment \(review-\d\)/.test(r.messages[0].content.map((b) => (b.type === 'text' ? b.text : '')).join('')));
    expect(reviewRequests.length).toBeGreaterThanOrEqual(3);
    for (const r of reviewRequests) {
      expect(r.system[1]?.text).toContain(API_REVIEWER_BODY);
      expect(r.tools.map((t) => t.name)).not.toContain('Bash');
      expect(r.tools.map((t) => t.name)).toContain('read_file');
    }
    // The summary stage read the reviews' handoff; its sanity check passed it on.
    const summaryPrompt = requests.find((r) => /# Your assignment \(summary\)/.test(r.messages[0].content.map((b) => (b.type === 'text' ? b.text : '')).join('')))!;
    const text = summaryPrompt.messages[0].content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(text).toMatch(/stages\/review-1\.md \(api\/orders\.js\): Done\./);
    expect(requests.filter((r) => roleOf(r) === 'auditor')).toHaveLength(1);
    expect(run.ledger.get('summary-sanity')!.returned).toMatch(/^Passed: /);
  }, 120_000);

  it('refuses a missing or unknown parameter and an each over no file, writing nothing', async () => {
    const ws = contractWorkspace();
    put(ws, '.orchestration/workflows/needs.yaml', 'name: needs\ndescription: Needs a parameter\nparams:\n  target: { description: What to review }\nstages:\n  - id: only\n    instructions: Review {{params.target}}.\n');
    put(ws, '.orchestration/workflows/empty.yaml', 'name: empty\ndescription: Fans out over nothing\nstages:\n  - id: each-none\n    each: { files: "nowhere/**/*.go" }\n    instructions: Review {{item}}.\n');
    const orch = await engine(ws);
    await expect(orch.planWorkflow({ workflow: 'needs', params: {} })).rejects.toThrow(/needs parameter "target"/);
    await expect(orch.planWorkflow({ workflow: 'review-api', params: { concren: 'x' } })).rejects.toThrow(/has no parameter "concren"/);
    await expect(orch.planWorkflow({ workflow: 'nope', params: {} })).rejects.toThrow(/No workflow named "nope".*found/);
    const empty = orch.planWorkflow({ workflow: 'empty', params: {} });
    await expect(empty).rejects.toBeInstanceOf(ConfigError);
    await expect(empty).rejects.toThrow(/Stage "each-none" \(\.orchestration\/workflows\/empty\.yaml:4\): `each: \{ files: "nowhere\/\*\*\/\*\.go" \}` matches no file/);
    const runs = readdirSync(path.join(ws, '.orchestration')).filter((n) => /^\d{8}-/.test(n));
    expect(runs).toEqual([]);
  }, 60_000);

  it('orchestrate run --workflow review-api --param concern="error handling" --yes --simulate runs it; an unknown workflow and a bad param exit 2', async () => {
    expect(existsSync(CLI)).toBe(true);
    const ws = contractWorkspace();
    const env = { ...keylessEnv(), HOME: ws };
    const ok = await cliAsync(['run', '--workflow', 'review-api', '--param', 'concern=error handling', '--workspace', ws, '--yes', '--simulate'], env);
    expect(ok.stderr).toContain('Planning workflow review-api');
    expect(ok.code).toBe(0);
    const runId = readdirSync(path.join(ws, '.orchestration')).find((n) => /^\d{8}-/.test(n))!;
    const snap = readJson<LedgerSnapshot>(path.join(ws, '.orchestration', runId, 'ledger.json'));
    expect(snap.pattern).toBe('workflow');
    expect(snap.status).toBe('completed');
    expect(snap.agents.filter((a) => a.agentDefinition === 'api-reviewer')).toHaveLength(3);

    const unknown = await cliAsync(['run', '--workflow', 'nope', '--workspace', ws, '--yes', '--simulate'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/No workflow named "nope"/);
    const badParam = await cliAsync(['run', '--workflow', 'review-api', '--param', 'colour=red', '--workspace', ws, '--yes', '--simulate'], env);
    expect(badParam.code).toBe(2);
    expect(badParam.stderr).toMatch(/has no parameter "colour"; expected one of concern/);
    put(ws, '.orchestration/workflows/review-api.yaml', REVIEW_API_YAML.replace('dependsOn: [review]', 'dependsOn: [reviews]'));
    const invalid = await cliAsync(['run', '--workflow', 'review-api', '--workspace', ws, '--yes', '--simulate'], env);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/review-api\.yaml:\d+:\d+: /);
  }, 120_000);
});

describe('gates', () => {
  it('a sanity check that blocks a stage skips the stages after it, and the run ends partial saying so', async () => {
    const ws = contractWorkspace();
    put(ws, '.orchestration/workflows/review-api.yaml', REVIEW_API_YAML.replace(
      '    each: { files: "api/**/*.js" }\n    instructions: Review {{item}} for {{params.concern}}.\n',
      '    each: { files: "api/**/*.js" }\n    instructions: Review {{item}} for {{params.concern}}.\n    hooks: [sanity-check]\n',
    ) + '  - id: fixes\n    dependsOn: [summary]\n    instructions: Plan fixes for {{stages.summary}}\n');
    const orch = await engine(ws, (req) => {
      // The review auditor blocks; the simulator would pass it.
      if (roleOf(req) === 'auditor' && /the sanity check of stage review\b/.test(req.messages[0].content.map((b) => (b.type === 'text' ? b.text : '')).join(''))) {
        return { kind: 'message', content: [{ type: 'tool_use', name: 'submit_verdict', input: { verdict: 'block', reason: 'api/orders.js review cites no line numbers.' } }] };
      }
      return undefined;
    });
    const run = await orch.planWorkflow({ workflow: 'review-api', params: {} });
    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('partial');
    expect(outcome.reason).toBe('stage review was blocked by review-sanity: api/orders.js review cites no line numbers.');
    expect(run.ledger.get('review-sanity')!.status).toBe('completed');
    for (const id of ['summary', 'summary-sanity', 'fixes']) {
      expect(run.ledger.get(id)!.status, id).toBe('skipped');
      expect(run.ledger.get(id)!.error).toBe(outcome.reason);
    }
    expect(run.ledger.get('final')!.status).toBe('completed');
    const summary = readFileSync(path.join(run.dir, 'summary.md'), 'utf8');
    expect(summary).toContain('review-sanity: Blocked: api/orders.js review cites no line numbers.');
    expect(summary).toMatch(/## Gaps[\s\S]*summary/);
  }, 120_000);

  it('an approval gate holds the stages after it; approve, then resume in the middle of the workflow runs only what was left', async () => {
    const ws = contractWorkspace();
    put(ws, '.orchestration/workflows/review-api.yaml', REVIEW_API_YAML.replace(
      '    instructions: Review {{item}} for {{params.concern}}.\n',
      '    instructions: Review {{item}} for {{params.concern}}.\n    gates: [{ approval: the reviews before they are summarised }]\n',
    ));
    const calls: string[] = [];
    const orch = await engine(ws, (req) => {
      const text = req.messages[0].content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      const m = /# Your assignment \(([a-z0-9-]+)\)/.exec(text);
      if (m && req.messages.length === 1) calls.push(m[1]);
      return undefined;
    });
    const run = await orch.planWorkflow({ workflow: 'review-api', params: {} });
    const first = await run.execute();
    await run.ledger.close();
    expect(first.status).toBe('partial');
    expect(first.reason).toMatch(new RegExp(`^waiting for approval of stage review \\(the reviews before they are summarised\\): run \`orchestrate approve ${run.id} review\`, then resume the run$`));
    expect(run.ledger.get('summary')!.status).toBe('skipped');
    expect(calls.sort()).toEqual(['review-1', 'review-2', 'review-3']);

    await expect(orch.approveGate(run.id, 'summary')).rejects.toThrow(/Stage "summary" has no approval gate; the stages that have one: review/);
    await orch.approveGate(run.id, 'review');
    calls.length = 0;
    const resumed = await orch.resume(run.id);
    expect(resumed.status).toBe('completed');
    // The reviews were not redone: only the stage after the gate ran.
    expect(calls).toEqual(['summary']);
    const snap = readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json'));
    expect(snap.agents.find((a) => a.id === 'review-approval')!.returned).toMatch(/^Approved: stage review approved /);
    expect(snap.agents.find((a) => a.id === 'review-1')!.attempts).toBe(1);
  }, 120_000);

  it('resume after a stage failed midway re-runs that stage and what follows, never the stages that finished', async () => {
    const ws = contractWorkspace();
    let failSummary = true;
    const calls: string[] = [];
    const orch = await engine(ws, (req) => {
      const text = req.messages[0].content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      const m = /# Your assignment \(([a-z0-9-]+)\)/.exec(text);
      if (m && req.messages.length === 1) calls.push(m[1]);
      if (failSummary && m?.[1] === 'summary') return { kind: 'message', content: [{ type: 'text', text: 'Failed. The reviews could not be read.' }] };
      return undefined;
    });
    const run = await orch.planWorkflow({ workflow: 'review-api', params: {} });
    const first = await run.execute();
    await run.ledger.close();
    expect(first.status).toBe('partial');
    expect(run.ledger.get('summary')!.status).toBe('failed');
    expect(run.ledger.get('summary-sanity')!.status).toBe('skipped');
    failSummary = false;
    calls.length = 0;
    const resumed = await orch.resume(run.id);
    expect(resumed.status).toBe('completed');
    expect(calls).toEqual(['summary']);
    const snap = readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json'));
    expect(snap.agents.find((a) => a.id === 'summary-sanity')!.status).toBe('completed');
  }, 120_000);

  it('a check gate runs only with consent: refused before anything runs, then run in the workspace once consented', async () => {
    const ws = contractWorkspace();
    put(ws, '.orchestration/workflows/review-api.yaml', REVIEW_API_YAML.replace(
      '    hooks: [sanity-check]\n', '    hooks: [sanity-check]\n    gates: [{ check: "node -e \\"process.exit(require(\'fs\').existsSync(\'api\') ? 0 : 1)\\"" }]\n',
    ));
    const orch = await engine(ws);
    const run = await orch.planWorkflow({ workflow: 'review-api', params: {} });
    expect(run.ledger.snapshot().workspaceCommand?.command).toMatch(/^node -e/);
    await expect(run.execute()).rejects.toThrow(/you have not approved that command/);
    expect(run.ledger.agents.filter((a) => a.role !== 'planner').every((a) => a.status === 'pending')).toBe(true);
    const check = (run.plan as WorkflowPlan).stages[1].gates[0] as { check: string };
    await orch.consent.grant(ws, check.check);
    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('completed');
    expect(run.ledger.get('summary-check')!.returned).toMatch(/^Passed: `node -e/);
    expect(readFileSync(path.join(run.dir, 'checks/summary-check.log'), 'utf8')).toContain('exit code 0');
  }, 120_000);
});
