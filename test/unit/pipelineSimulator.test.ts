import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractHandoff } from '../../src/engine/patterns/pipeline/handoff';
import { renderTemplate } from '../../src/engine/prompts';
import { roleOf } from '../../src/simulator/conversation';
import { stageReply } from '../../src/simulator/roles/pipeline';
import { chooseTool } from '../../src/simulator/roles/planner';

const wantsPipeline = (task: string, toolChoice: ParsedRequest['toolChoice'], tools?: string[]): boolean =>
  chooseTool(plannerReq(task, toolChoice, tools), task) === 'plan_pipeline';
import type { ParsedRequest, RequestMessage } from '../../src/simulator/types';

const PROMPTS = path.join(__dirname, '../../prompts');
const WORKSPACE = path.join(__dirname, '../../examples/demo-shop');
const template = (name: string, values: Record<string, string | number>) => renderTemplate(readFileSync(path.join(PROMPTS, `${name}.md`), 'utf8'), values, name);
const tool = (name: string) => ({ name, input_schema: { type: 'object' } });

function plannerReq(task: string, toolChoice: ParsedRequest['toolChoice'], tools = ['plan_fan_out', 'plan_pipeline']): ParsedRequest {
  return {
    model: 'm', maxTokens: 10, stream: false, beta: false, body: {}, system: [{ type: 'text', text: '# Role: planner' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: `# Task\n${task}\n\n# Workspace overview (paths and sizes, no contents)\nsrc/ (3 files)\n` }] }],
    tools: tools.map(tool), toolChoice,
  };
}

describe('the simulated planner chooses a pipeline', () => {
  it('when its tool is forced, and never when another is', () => {
    expect(wantsPipeline('Audit the repo', { type: 'tool', name: 'plan_pipeline' })).toBe(true);
    expect(wantsPipeline('research → outline', { type: 'tool', name: 'plan_fan_out' })).toBe(false);
  });

  it('in auto mode for a task of sequential steps, only when the pipeline tool is offered', () => {
    expect(wantsPipeline('Write docs: research → outline → draft', { type: 'any' })).toBe(true);
    expect(wantsPipeline('Find the slow queries, then write a fix plan', { type: 'any' })).toBe(true);
    expect(wantsPipeline('Audit this repo for security issues', { type: 'any' })).toBe(false);
    expect(wantsPipeline('research → outline → draft', { type: 'any' }, ['plan_fan_out'])).toBe(false);
  });
});

describe('a simulated stage', () => {
  const user = (handoff: string) => template('pipeline/stage-user', {
    agentId: 's1', stageName: 'Research', agentTask: 'Research the utils for the guide', scope: 'src/utils',
    outputFile: '.orchestration/r/stages/s1.md', retryNote: '', previousHandoff: handoff,
  });
  const system = template('pipeline/stage', { maxWords: 800 });
  const shared = template('pipeline/stage-shared', { task: 'Write a guide', stageList: '- s1: Research — research\n- s2: Outline — outline' });
  const request = (messages: RequestMessage[]): ParsedRequest => ({
    model: 'm', maxTokens: 10, stream: false, beta: false, body: {}, system: [{ type: 'text', text: system }], messages, tools: [], toolChoice: null,
  });

  it('is recognised by its role line, reads its scope, then writes a handoff the engine accepts', () => {
    const first: RequestMessage = { role: 'user', content: [{ type: 'text', text: shared }, { type: 'text', text: user('# Previous handoff\nNone: this is the first stage.') }] };
    const req1 = request([first]);
    expect(roleOf(req1)).toBe('stage');
    const r1 = stageReply(req1, WORKSPACE);
    const reads = r1.kind === 'message' ? r1.content.filter((b) => b.type === 'tool_use') : [];
    expect(reads.map((b) => b.type === 'tool_use' && b.input.path)).toEqual(['src/utils/format.js', 'src/utils/retry.js']);

    const results: RequestMessage = {
      role: 'user',
      content: reads.map((b, i) => ({ type: 'tool_result' as const, tool_use_id: `t${i}`, content: readFileSync(path.join(WORKSPACE, String(b.type === 'tool_use' && b.input.path)), 'utf8') })),
    };
    const asked: RequestMessage = { role: 'assistant', content: reads.map((b, i) => ({ type: 'tool_use' as const, id: `t${i}`, name: 'read_file', input: b.type === 'tool_use' ? b.input : {} })) };
    const r2 = stageReply(request([first, asked, results]), WORKSPACE);
    const write = r2.kind === 'message' ? r2.content.find((b) => b.type === 'tool_use' && b.name === 'write_output') : undefined;
    const content = String(write?.type === 'tool_use' && write.input.content);
    const check = extractHandoff(content);
    expect(check.ok, check.ok ? '' : check.error).toBe(true);
    expect(check.ok && check.handoff.nextAction).toMatch(/^s2: Outline/);
    expect(check.ok && check.handoff.state).toMatch(/src\/utils\/retry\.js/);
  });
});
