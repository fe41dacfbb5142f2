/** The workflow pattern's graph, gates and plan checks, without a model. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config';
import { PlanInputError } from '../../src/engine/patterns/pattern';
import { PATTERN_CHOICES, PLANNABLE_PATTERNS, validatePlan } from '../../src/engine/patterns/registry';
import { workflow } from '../../src/engine/patterns/workflow';
import { compileWorkflow } from '../../src/engine/patterns/workflow/compile';
import { gateHolds } from '../../src/engine/patterns/workflow/gates';
import type { WorkflowPlan, WorkflowStagePlan } from '../../src/engine/patterns/workflow/plan';
import { auditorReply } from '../../src/simulator/roles/workflow';
import type { ParsedRequest } from '../../src/simulator/types';

const config = parseConfig({});

const stage = (s: Partial<WorkflowStagePlan> & { id: string }): WorkflowStagePlan => ({
  tier: 'sonnet', instructions: `Do ${s.id}.`, scope: [], items: null, dependsOn: [], gates: [], hooks: [], ...s,
});

const planOf = (stages: WorkflowStagePlan[]): WorkflowPlan => ({
  pattern: 'workflow', task: 'Workflow t: test', reason: '', focus: [],
  workflow: { name: 't', description: 'test', source: '.orchestration/workflows/t.yaml' }, params: { concern: 'errors' }, stages,
});

describe('compileWorkflow', () => {
  it('gives each item its agent, chains a stage\'s gates, and makes the next stages wait for the last gate', () => {
    const plan = planOf([
      stage({ id: 'review', agent: 'api-reviewer', tier: 'haiku', items: ['api/a.js', 'api/b.js'], instructions: 'Review {{item}} for {{params.concern}}.', hooks: ['sanity-check', 'reflect'], gates: ['approval', { check: 'npm test' }] }),
      stage({ id: 'summary', dependsOn: ['review'], instructions: 'Summarise {{stages.review}}' }),
    ]);
    const { agents, groups } = compileWorkflow(plan, config);
    const by = Object.fromEntries(agents.map((a) => [a.id, a]));
    expect(agents.map((a) => `${a.id}:${a.role}`)).toEqual([
      'review-1:stage', 'review-2:stage', 'review-sanity:auditor', 'review-approval:gate', 'review-check:gate', 'review-reflect:reflector',
      'summary:stage', 'final:final',
    ]);
    expect(by['review-1'].task).toBe('Review api/a.js for errors.');
    expect(by['review-1'].scope).toEqual(['api/a.js']);
    expect(by['review-1'].agentDefinition).toBe('api-reviewer');
    expect(by['review-sanity'].dependsOn).toEqual(['review-1', 'review-2']);
    expect(by['review-approval'].dependsOn).toEqual(['review-sanity']);
    expect(by['review-check'].dependsOn).toEqual(['review-approval']);
    // Reflection reads the stage beside the chain: nothing waits for it but the final step.
    expect(by['review-reflect'].dependsOn).toEqual(['review-1', 'review-2']);
    expect(by.summary.dependsOn).toEqual(['review-check']);
    expect(by.summary.task).toBe('Summarise (the handoff of stage review)');
    expect(by.final.dependsOn).toEqual(['summary', 'review-reflect']);
    expect(groups).toEqual([{ id: 'review', label: 'Stage review (2 × api-reviewer)' }, { id: 'summary', label: 'Stage summary' }]);
    expect(workflow.workspaceCommands!(plan)).toEqual([{ command: 'npm test', source: '.orchestration/workflows/t.yaml (stage review)' }]);
  });

  it('lays a stage over returned items out as its expander until they are known, leaving out what follows and the final step', () => {
    const plan = planOf([
      stage({ id: 'list' }),
      stage({ id: 'check', dependsOn: ['list'], each: { items: 'list' } }),
      stage({ id: 'report', dependsOn: ['check'] }),
    ]);
    expect(compileWorkflow(plan, config).agents.map((a) => a.id)).toEqual(['list', 'check-items']);
    const known = compileWorkflow(plan, config, { check: ['POST /orders', 'GET /health'] }).agents;
    expect(known.map((a) => `${a.id}<${a.dependsOn.join(',')}>`)).toEqual([
      'list<>', 'check-items<list>', 'check-1<list,check-items>', 'check-2<list,check-items>', 'report<check-1,check-2>', 'final<report>',
    ]);
    // An item is text, not a path: it is the task's, never the scope's.
    expect(known[2].scope).toEqual([]);
    expect(compileWorkflow(plan, config, { check: null }).agents.map((a) => a.id)).toEqual(['list', 'check-items', 'check', 'report', 'final']);
  });

  it('refuses a stage whose agents would take the final step\'s id or another agent\'s', () => {
    expect(() => compileWorkflow(planOf([stage({ id: 'final' })]), config)).toThrow(PlanInputError);
    expect(() => compileWorkflow(planOf([stage({ id: 'a', items: ['x'] }), stage({ id: 'a-1' })]), config)).toThrow(/collide \(a-1\)/);
  });
});

describe('the workflow plan', () => {
  it('is validated like any plan read back: a dependency on a later or unknown stage and an unknown agent are errors', () => {
    const plan = planOf([stage({ id: 'b', dependsOn: ['a'] }), stage({ id: 'a', agent: 'ghost' })]);
    const check = validatePlan(plan, { config, focus: [], scopeExists: () => true, agentDefinitions: [] });
    expect(check.ok).toBe(false);
    expect(!check.ok && check.errors).toEqual([
      'Stage "b" depends on "a", which is not a stage before it',
      'Stage "a" names the agent "ghost", which is not defined; no agents are defined, so leave `agent` out',
    ]);
  });

  it('is never offered to the planner nor to --pattern', () => {
    expect(PLANNABLE_PATTERNS.map((p) => p.name)).not.toContain('workflow');
    expect(PATTERN_CHOICES).not.toContain('workflow');
  });
});

describe('gates', () => {
  it('hold the stages after them when blocked or waiting, and let them run when passed or approved', () => {
    expect(gateHolds({ id: 'r-sanity', domain: 'r', returned: 'Blocked: no line numbers.' })).toBe('stage r was blocked by r-sanity: no line numbers.');
    expect(gateHolds({ id: 'r-approval', domain: 'r', returned: 'Waiting: waiting for approval of stage r' })).toBe('waiting for approval of stage r');
    expect(gateHolds({ id: 'r-sanity', domain: 'r', returned: 'Passed: fine.' })).toBeNull();
    expect(gateHolds({ id: 'r-approval', domain: 'r', returned: 'Approved: stage r approved' })).toBeNull();
  });

  it('the simulated auditor passes complete output and blocks a missing file', () => {
    const req = (outputs: string): ParsedRequest => ({
      model: 'm', system: [{ type: 'text', text: '# Role: auditor' }], tools: [], maxTokens: 100, stream: false,
      messages: [{ role: 'user', content: [{ type: 'text', text: `# Your gate (s-sanity): the sanity check of stage s\n\n## The stage's output\n${outputs}` }] }],
    } as unknown as ParsedRequest);
    const verdict = (r: ReturnType<typeof auditorReply>) => (r.kind === 'message' && r.content[0].type === 'tool_use' ? r.content[0].input : null);
    expect(verdict(auditorReply(req('<file path="stages/s.md">\n# Report\nAll good.\n<!-- DONE -->\n</file>')))).toMatchObject({ verdict: 'pass' });
    const blocked = verdict(auditorReply(req('<file path="stages/s.md" missing="true"/>'))) as { verdict: string; reason: string } | null;
    expect(blocked?.verdict).toBe('block');
    expect(blocked?.reason).toContain('stages/s.md');
  });
});
