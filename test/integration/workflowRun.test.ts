/**
 * Workflows end to end, through the real engine and the real SDK over HTTP against the fake
 * Messages API: the shipped examples run to completion offline; the issue's contract workflow
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
import { approvalsWaiting, waitingApprovals, type WorkflowPlan } from '../../src/engine/patterns/workflow';
import type { LedgerSnapshot } from '../../src/engine/types';
import { roleOf } from '../../src/simulator/conversation';
import type { ParsedRequest } from '../../src/simulator/types';
import { API_REVIEWER, API_REVIEWER_BODY } from '../fixtures/agents';
import { REVIEW_API_WORKFLOW } from '../fixtures/reviewApiWorkflow';
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

/** The issue's contract workspace: api/ modules, review-api.yaml and api-reviewer.md, exactly as written. */
function contractWorkspace(): string {
  const ws = makeWorkspace();
  cpSync(path.join(ws, 'src/api'), path.join(ws, 'api'), { recursive: true });
  put(ws, 'api/v2/items.js', 'export function items(req) {\n  return req.query.limit;\n}\n');
  put(ws, '.orchestration/workflows/review-api.yaml', REVIEW_API_WORKFLOW);
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
    put(ws, '.orchestration/workflows/review-api.yaml', REVIEW_API_WORKFLOW.replace('dependsOn: [review]', 'dependsOn: [reviews]'));
    const invalid = await cliAsync(['run', '--workflow', 'review-api', '--workspace', ws, '--yes', '--simulate'], env);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/review-api\.yaml:\d+:\d+: /);
  }, 120_000);
});

describe('a check gate through the CLI', () => {
  it('--yes refuses a workflow whose check you have not approved; --allow-workspace-command runs it', async () => {
    const ws = contractWorkspace();
    put(ws, '.orchestration/workflows/review-api.yaml', REVIEW_API_WORKFLOW.replace(
      '    hooks: [sanity-check]\n', '    hooks: [sanity-check]\n    gates: [{ check: "node --version" }]\n',
    ));
    const env = { ...keylessEnv(), HOME: ws };
    const refused = await cliAsync(['run', '--workflow', 'review-api', '--workspace', ws, '--yes', '--simulate'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Refusing to start: this workflow would run `node --version` (.orchestration/workflows/review-api.yaml (stage summary)) in the workspace');
    const ok = await cliAsync(['run', '--workflow', 'review-api', '--workspace', ws, '--yes', '--allow-workspace-command', '--simulate'], env);
    expect(ok.code).toBe(0);
    const snaps = readdirSync(path.join(ws, '.orchestration')).filter((n) => /^\d{8}-/.test(n))
      .map((id) => readJson<LedgerSnapshot>(path.join(ws, '.orchestration', id, 'ledger.json')));
    expect(snaps.map((x) => x.status).sort()).toEqual(['completed', 'declined']);
    const snap = snaps.find((x) => x.status === 'completed')!;
    expect(snap.agents.find((a) => a.id === 'summary-check')!.returned).toBe('Passed: `node --version` exited 0');
  }, 120_000);
});

describe('orchestrate approve (CLI)', () => {
  it('a run waiting at an approval gate exits 3 saying how to approve; approve, then resume finishes it', async () => {
    const ws = contractWorkspace();
    put(ws, '.orchestration/workflows/review-api.yaml', REVIEW_API_WORKFLOW.replace(
      '    instructions: Review {{item}} for {{params.concern}}.\n', '    instructions: Review {{item}} for {{params.concern}}.\n    gates: [approval]\n',
    ));
    const env = { ...keylessEnv(), HOME: ws };
    const first = await cliAsync(['run', '--workflow', 'review-api', '--workspace', ws, '--yes', '--simulate'], env);
    expect(first.code).toBe(3);
    const runId = readdirSync(path.join(ws, '.orchestration')).find((n) => /^\d{8}-/.test(n))!;
    expect(first.stdout).toContain(`waiting for approval of stage review (the output of stage review): run \`orchestrate approve ${runId} review\`, then resume the run`);
    const wrong = await cliAsync(['approve', runId, 'summary', '--workspace', ws], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/Stage "summary" has no approval gate; the stages that have one: review/);
    const approved = await cliAsync(['approve', runId, 'review', '--workspace', ws], env);
    expect(approved.code).toBe(0);
    expect(approved.stderr).toMatch(/Approved stage review of run .*resume/);
    const resumed = await cliAsync(['resume', runId, '--workspace', ws, '--simulate'], env);
    expect(resumed.code).toBe(0);
    expect(readJson<LedgerSnapshot>(path.join(ws, '.orchestration', runId, 'ledger.json')).status).toBe('completed');
  }, 120_000);
});

describe('each: { items } — a stage over the items an earlier stage returned', () => {
  const ENDPOINTS = `name: endpoints
description: List the endpoints, then check each
stages:
  - id: list
    scope: [api]
    instructions: List the HTTP endpoints under api/ as a "## Items" list, one a line.
  - id: check
    dependsOn: [list]
    each: { items: list }
    agent: api-reviewer
    instructions: Check the endpoint {{item}} for error handling.
    hooks: [sanity-check]
  - id: report
    dependsOn: [check]
    instructions: Report the checks, worst first. {{stages.check}}
`;
  /** The list stage writes these items (one twice, one in backticks) and returns a sentence. */
  const lister = (items: string[]): Fault => (req) => {
    const text = req.messages[0].content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    if (!/# Your assignment \(list\)/.test(text)) return undefined;
    if (req.messages.length === 1) {
      const content = `# Endpoints\n\n## Items\n${items.map((i) => `- ${i}`).join('\n')}\n\n<!-- DONE -->\n`;
      return { kind: 'message', content: [{ type: 'tool_use', name: 'write_output', input: { content } }] };
    }
    return { kind: 'message', content: [{ type: 'text', text: `Done. Listed ${items.length} endpoints.` }] };
  };

  it('spawns one agent per returned item once the stage has run, then the stages after it and the final step', async () => {
    const ws = contractWorkspace();
    put(ws, '.orchestration/workflows/endpoints.yaml', ENDPOINTS);
    const requests: ParsedRequest[] = [];
    const list = lister(['POST /orders', '`GET /health`', 'POST /orders']);
    const orch = await engine(ws, (req, ctx, agent) => { requests.push(req); return list(req, ctx, agent); });
    const run = await orch.planWorkflow({ workflow: 'endpoints', params: {} });
    expect((run.plan as WorkflowPlan).stages[1]).toMatchObject({ each: { items: 'list' }, items: null });
    // Before the run: the list stage and the expander; what follows it is not known yet.
    expect(run.ledger.agents.map((a) => a.id)).toEqual(['planner', 'list', 'check-items']);
    expect(readJson<Array<{ name: string }>>(path.join(run.dir, 'agents.json')).map((d) => d.name)).toEqual(['api-reviewer']);

    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.reason).toBeNull();
    expect(outcome.status).toBe('completed');
    expect(readJson<{ items: string[] }>(path.join(run.dir, 'items/check.json')).items).toEqual(['POST /orders', 'GET /health']);
    const checks = run.ledger.agents.filter((a) => a.domain === 'check' && a.role === 'stage');
    expect(checks.map((a) => [a.id, a.task, a.agentDefinition, a.dependsOn])).toEqual([
      ['check-1', 'Check the endpoint POST /orders for error handling.', 'api-reviewer', ['list', 'check-items']],
      ['check-2', 'Check the endpoint GET /health for error handling.', 'api-reviewer', ['list', 'check-items']],
    ]);
    expect(checks[0].agentNotes).toContain('Bash not given: no tool runs a shell here');
    for (const id of ['check-sanity', 'report', 'final']) expect(run.ledger.get(id)!.status, id).toBe('completed');
    expect(run.ledger.get('report')!.dependsOn).toEqual(['check-sanity']);
    const checkPrompt = requests.find((r) => /# Your assignment \(check-2\)/.test(r.messages[0].content.map((b) => (b.type === 'text' ? b.text : '')).join('')))!;
    expect(checkPrompt.system[1]?.text).toContain(API_REVIEWER_BODY);
    const report = requests.find((r) => /# Your assignment \(report\)/.test(r.messages[0].content.map((b) => (b.type === 'text' ? b.text : '')).join('')))!;
    expect(report.messages[0].content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toMatch(/stages\/check-2\.md \(GET \/health\): Done\./);
  }, 120_000);

  it('resume after an item\'s agent failed re-runs that agent and what follows, not the list nor the other items', async () => {
    const ws = contractWorkspace();
    put(ws, '.orchestration/workflows/endpoints.yaml', ENDPOINTS);
    let fail = true;
    const calls: string[] = [];
    const list = lister(['POST /orders', 'GET /health']);
    const orch = await engine(ws, (req, ctx, agent) => {
      const text = req.messages[0].content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      const m = /# Your assignment \(([a-z0-9-]+)\)/.exec(text);
      if (m && req.messages.length === 1) calls.push(m[1]);
      if (fail && m?.[1] === 'check-2') return { kind: 'message', content: [{ type: 'text', text: 'Failed. The endpoint could not be found.' }] };
      return list(req, ctx, agent);
    });
    const run = await orch.planWorkflow({ workflow: 'endpoints', params: {} });
    const first = await run.execute();
    await run.ledger.close();
    expect(first.status).toBe('partial');
    expect(run.ledger.get('check-2')!.status).toBe('failed');
    expect(run.ledger.get('report')!.status).toBe('skipped');
    fail = false;
    calls.length = 0;
    const resumed = await orch.resume(run.id);
    expect(resumed.status).toBe('completed');
    expect(calls).toEqual(['check-2', 'report']);
  }, 120_000);

  it('a stage that returns no items blocks the stage over them, and the run ends partial saying so', async () => {
    const ws = contractWorkspace();
    put(ws, '.orchestration/workflows/endpoints.yaml', ENDPOINTS);
    const orch = await engine(ws, lister([]));
    const run = await orch.planWorkflow({ workflow: 'endpoints', params: {} });
    const outcome = await run.execute();
    await run.ledger.close();
    expect(outcome.status).toBe('partial');
    expect(outcome.reason).toBe('stage check was blocked by check-items: stage list returned no items for stage check (a `## Items` list in its file, one item a line)');
    // What follows is laid out and skipped with the reason; the final step still writes the summary.
    for (const id of ['check', 'check-sanity', 'report']) {
      expect(run.ledger.get(id)!.status, id).toBe('skipped');
      expect(run.ledger.get(id)!.error).toBe(outcome.reason);
    }
    expect(run.ledger.get('final')!.status).toBe('completed');
    expect(existsSync(path.join(run.dir, 'items/check.json'))).toBe(false);
  }, 120_000);
});

describe('gates', () => {
  it('a sanity check that blocks a stage skips the stages after it, and the run ends partial saying so; a rerun of the stage has it judged anew', async () => {
    const ws = contractWorkspace();
    put(ws, '.orchestration/workflows/review-api.yaml', REVIEW_API_WORKFLOW.replace(
      '    each: { files: "api/**/*.js" }\n    instructions: Review {{item}} for {{params.concern}}.\n',
      '    each: { files: "api/**/*.js" }\n    instructions: Review {{item}} for {{params.concern}}.\n    hooks: [sanity-check]\n',
    ) + '  - id: fixes\n    dependsOn: [summary]\n    instructions: Plan fixes for {{stages.summary}}\n');
    let block = true;
    const orch = await engine(ws, (req) => {
      // The review auditor blocks; the simulator would pass it.
      if (block && roleOf(req) === 'auditor' && /the sanity check of stage review\b/.test(req.messages[0].content.map((b) => (b.type === 'text' ? b.text : '')).join(''))) {
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

    // The verdict stands until the stage is done again: a rerun of one reviewer has it judged anew,
    // and the stages it held back run; the other reviewers are not redone.
    block = false;
    const before = readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json')).agents;
    const rerun = await orch.rerunAgent(run.id, 'review-1', { instruction: 'Cite the line of every finding.' });
    expect(rerun.status).toBe('completed');
    const snap = readJson<LedgerSnapshot>(path.join(run.dir, 'ledger.json'));
    const at = (id: string) => snap.agents.find((a) => a.id === id)!;
    expect(at('review-1').requests).toBeGreaterThan(before.find((a) => a.id === 'review-1')!.requests);
    expect(at('review-2')).toEqual(before.find((a) => a.id === 'review-2'));
    expect(at('review-sanity').returned).toMatch(/^Passed: /);
    for (const id of ['summary', 'summary-sanity', 'fixes', 'final']) expect(at(id).status, id).toBe('completed');
  }, 120_000);

  it('an approval gate holds the stages after it; approve, then resume in the middle of the workflow runs only what was left', async () => {
    const ws = contractWorkspace();
    put(ws, '.orchestration/workflows/review-api.yaml', REVIEW_API_WORKFLOW.replace(
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
    expect(waitingApprovals(run.ledger.agents)).toEqual(['review']);
    // What a front end shows before approving: the gate's words from the plan and the stage's files.
    expect(approvalsWaiting(run.ledger.agents, run.plan)).toEqual([{ stage: 'review', message: 'the reviews before they are summarised', files: ['stages/review-1.md', 'stages/review-2.md', 'stages/review-3.md'] }]);
    expect(approvalsWaiting(run.ledger.agents)).toEqual([expect.objectContaining({ stage: 'review', message: null })]);

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
    put(ws, '.orchestration/workflows/review-api.yaml', REVIEW_API_WORKFLOW.replace(
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
