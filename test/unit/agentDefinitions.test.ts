/** Agent definitions (Claude Code's .claude/agents format): parsing, precedence, errors, untrusted folders, tools and the planner's block. */
import { mkdirSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { putFileSync, scratchFolders } from './workspaceFiles';
import { parseConfig } from '../../src/engine/config';
import { parseDefinition } from '../../src/engine/agents/definition';
import { loadAgentDefinitions, MAX_DEFINITION_BYTES } from '../../src/engine/agents/load';
import { intersectTools, mappedTools, toolNotes } from '../../src/engine/agents/tools';
import { applyDefinitions, plannerAgentsBlock, roleToolsOf, PLANNER_BLOCK_CHARS, runDefinitionsJson, unknownAgentErrors } from '../../src/engine/agents/catalog';
import { systemBlocks, toolsOf } from '../../src/engine/run/converse';
import { patternNamed, validatePlan } from '../../src/engine/patterns/registry';
import { agentRecord } from '../../src/engine/patterns/pattern';
import { BUILDER_TOOL_NAMES, toolDefinitions, WORKER_TOOL_NAMES } from '../../src/engine/tools/tools';
import { renderPlanMarkdown } from '../../src/engine/plan/planMarkdown';
import { agentForScope, listedAgents } from '../../src/simulator/roles/agentRouting';
import { API_REVIEWER } from '../fixtures/agents';

const { scratch, cleanup } = scratchFolders();
afterAll(cleanup);
const put = putFileSync;


const def = (name: string, extra = '', body = `You are ${name}.`): string => `---\nname: ${name}\ndescription: The ${name} agent.\n${extra}---\n${body}\n`;

describe('parsing one definition', () => {
  it('reads the issue\'s example as written', () => {
    const r = parseDefinition(API_REVIEWER, '/ws/.claude/agents/api-reviewer.md');
    expect(r).toEqual({
      ok: true,
      definition: {
        name: 'api-reviewer', description: 'Reviews HTTP handlers for input validation and error handling',
        tools: ['Read', 'Grep', 'Bash'], model: 'haiku', tier: 'haiku',
        body: 'You are a meticulous API reviewer. Cite file and line for every finding.', source: '/ws/.claude/agents/api-reviewer.md',
      },
    });
  });

  it('takes tools as a YAML list, no model as inherit, and ignores keys Claude Code adds (color)', () => {
    const r = parseDefinition('---\nname: doc-writer\ndescription: Writes docs\ntools:\n  - Read\n  - Glob\ncolor: blue\n---\nWrite docs.\n', 'x.md');
    expect(r.ok && r.definition).toMatchObject({ tools: ['Read', 'Glob'], model: 'inherit', tier: null });
  });

  it('names the line and column, what was expected and what was found', () => {
    const r = parseDefinition('---\nname: api-reviewer\ndescription: x\nmodel: gpt-4\n---\nbody\n', 'bad.md');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({ file: 'bad.md', line: 4, column: 8 });
    expect(r.error.message).toBe('model: expected haiku, sonnet, opus or inherit; found "gpt-4"');
  });

  it('reports a name that is not lowercase-and-hyphens, a missing description, and broken YAML with positions', () => {
    const name = parseDefinition('---\nname: API Reviewer\ndescription: x\n---\nbody\n', 'n.md');
    expect(!name.ok && name.error).toMatchObject({ line: 2, column: 7 });
    expect(!name.ok && name.error.message).toBe('name: expected lowercase letters, digits and hyphens, like api-reviewer; found "API Reviewer"');
    const missing = parseDefinition('---\nname: a\n---\nbody\n', 'm.md');
    expect(!missing.ok && missing.error.message).toBe('description: expected a sentence saying when to use this agent; found nothing');
    const yaml = parseDefinition('---\nname: a\ndescription: [unclosed\n---\nbody\n', 'y.md');
    expect(!yaml.ok && yaml.error.message).toMatch(/not valid YAML/);
    expect(!yaml.ok && yaml.error.line).toBeGreaterThanOrEqual(3);
  });

  it('refuses a file without front matter, without a closing fence, or without a body', () => {
    const error = (text: string) => { const r = parseDefinition(text, 'a.md'); return r.ok ? null : r.error; };
    expect(error('You are an agent.\n')).toMatchObject({ line: 1 });
    expect(error('You are an agent.\n')?.message).toMatch(/expected front matter/);
    expect(error('---\nname: a\ndescription: b\n')?.message).toMatch(/closing the front matter/);
    expect(error('---\nname: a\ndescription: b\n---\n\n')).toMatchObject({ line: 5 });
    expect(error('---\nname: a\ndescription: b\n---\n\n')?.message).toMatch(/system prompt/);
  });

  it('refuses a YAML bomb (aliases expanding past a bound) instead of expanding it', () => {
    const bomb = ['---', 'name: a', 'description: b', 'x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 9; i++) bomb.push(`x${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}]`);
    bomb.push('---', 'body');
    const r = parseDefinition(bomb.join('\n'), 'bomb.md');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toMatch(/alias/i);
  });
});

describe('finding definitions', () => {
  it('reads the workspace, then the home folder, then .orchestration/agents; the first of a name wins and the rest are shadowed', async () => {
    const ws = scratch('orch-agents-ws-');
    const home = scratch('orch-agents-home-');
    const first = put(ws, '.claude/agents/api-reviewer.md', API_REVIEWER);
    const homeCopy = put(home, '.claude/agents/api-reviewer.md', def('api-reviewer'));
    put(home, '.claude/agents/tester.md', def('tester'));
    put(ws, '.orchestration/agents/tester.md', def('tester'));
    put(ws, '.orchestration/agents/doc-writer.md', def('doc-writer'));
    const c = await loadAgentDefinitions(ws, { home });
    expect(c.definitions.map((d) => [d.name, d.origin])).toEqual([['api-reviewer', 'workspace'], ['tester', 'user'], ['doc-writer', 'orchestration']]);
    expect(c.shadowed).toEqual([
      { name: 'api-reviewer', source: homeCopy, origin: 'user', shadowedBy: first },
      { name: 'tester', source: path.join(ws, '.orchestration/agents/tester.md'), origin: 'orchestration', shadowedBy: path.join(home, '.claude/agents/tester.md') },
    ]);
    expect(c.errors).toEqual([]);
  });

  it('lists a bad file as an error beside the good ones, never in their place', async () => {
    const ws = scratch('orch-agents-bad-');
    put(ws, '.claude/agents/a-good.md', def('a-good'));
    put(ws, '.claude/agents/broken.md', '---\nname: broken\ndescription: x\ntools: 42\n---\nbody\n');
    put(ws, '.claude/agents/z-good.md', def('z-good'));
    const c = await loadAgentDefinitions(ws, { home: null });
    expect(c.definitions.map((d) => d.name)).toEqual(['a-good', 'z-good']);
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]).toMatchObject({ file: path.join(ws, '.claude/agents/broken.md'), line: 4, column: 8 });
    expect(c.errors[0].message).toBe('tools: expected a comma list (Read, Grep) or a YAML list of tool names; found 42');
  });

  it('refuses a definition that is a symlink out of its folder, a .claude/agents linked out of the workspace, and an oversized file', async () => {
    const ws = scratch('orch-agents-link-');
    const outside = scratch('orch-agents-outside-');
    put(outside, 'secret.md', def('secret'));
    mkdirSync(path.join(ws, '.claude/agents'), { recursive: true });
    symlinkSync(path.join(outside, 'secret.md'), path.join(ws, '.claude/agents/secret.md'));
    put(ws, '.claude/agents/huge.md', def('huge', '', 'x'.repeat(MAX_DEFINITION_BYTES + 10)));
    mkdirSync(path.join(ws, '.orchestration'), { recursive: true });
    symlinkSync(outside, path.join(ws, '.orchestration/agents'));
    const c = await loadAgentDefinitions(ws, { home: null });
    expect(c.definitions).toEqual([]);
    const messages = c.errors.map((e) => `${path.basename(e.file)}: ${e.message}`);
    expect(messages).toEqual(expect.arrayContaining([
      expect.stringMatching(/^huge\.md: expected at most 64 KiB; found 65 KiB$/),
      expect.stringMatching(/^secret\.md: expected a file inside its agents folder; found a link to/),
      expect.stringMatching(/^agents: expected a folder inside .*; found a link to/),
    ]));
  });

  it('is empty, not an error, when no folder exists', async () => {
    const c = await loadAgentDefinitions(scratch('orch-agents-none-'), { home: null });
    expect(c).toMatchObject({ definitions: [], shadowed: [], errors: [] });
    expect(c.searched.every((s) => !s.exists)).toBe(true);
  });
});

describe('tools: mapped, intersected, never widened', () => {
  it('maps Claude Code names onto ours and keeps write_output (the agent\'s own report)', () => {
    expect(mappedTools(['Read', 'Grep', 'Bash'])).toEqual(['read_file', 'search']);
    expect(intersectTools(WORKER_TOOL_NAMES, ['Read', 'Grep', 'Bash'])).toEqual(['read_file', 'search', 'write_output']);
    expect(intersectTools(WORKER_TOOL_NAMES, null)).toEqual([...WORKER_TOOL_NAMES]);
    // Write on a read-only role adds nothing.
    expect(intersectTools(WORKER_TOOL_NAMES, ['Write', 'Edit', 'Glob'])).toEqual(['list_files', 'write_output']);
    expect(intersectTools(BUILDER_TOOL_NAMES, ['Read', 'Edit'])).toEqual(['read_file', 'edit_file']);
  });

  it('says what a read-only role does not give, and why', () => {
    expect(toolNotes(WORKER_TOOL_NAMES, ['Read', 'Grep', 'Bash', 'Write', 'WebFetch', 'mcp__gh__pr'], 'worker')).toEqual([
      'Bash not given: no tool runs a shell here',
      'Write not given: a worker may not use write_file or delete_file',
      'WebFetch not given: agents here do not reach the network',
      'mcp__gh__pr not given: MCP tools are not offered here',
    ]);
    expect(toolNotes(BUILDER_TOOL_NAMES, ['Write', 'Edit'], 'builder')).toEqual([]);
  });

  it('narrows the request\'s tools and puts the definition in its own system block after the role\'s, holding the one breakpoint', () => {
    const definition = { name: 'api-reviewer', body: 'You are a meticulous API reviewer.', tools: ['Read', 'Grep', 'Bash'] };
    expect(toolsOf({ definition }, toolDefinitions()).map((t) => t.name)).toEqual(['read_file', 'search', 'write_output']);
    const cached = { cache_control: { type: 'ephemeral' } };
    expect(systemBlocks({ system: 'ROLE', definition }, cached)).toEqual([
      { type: 'text', text: 'ROLE' },
      { type: 'text', text: '# Your agent definition: api-reviewer\nYou are a meticulous API reviewer.', ...cached },
    ]);
    expect(systemBlocks({ system: 'ROLE' }, cached)).toEqual([{ type: 'text', text: 'ROLE', ...cached }]);
  });
});

describe('planning with definitions', () => {
  const config = parseConfig({});
  const defs = [parseDefinition(API_REVIEWER, '/ws/.claude/agents/api-reviewer.md')].map((r) => (r.ok ? r.definition : null)!);

  it('rejects a plan naming an agent that is not defined, with the names that are', () => {
    const plan = {
      pattern: 'fan-out', task: 'Review the API', domains: [{
        id: 'a', name: 'API', brief: 'The API handlers.',
        workers: [{ id: 'a1', task: 'Review the handlers', scope: ['api'], tier: 'haiku', agent: 'api-reviwer' }],
      }],
    };
    const ctx = { config: parseConfig({ domains: { min: 1, max: 5 }, workersPerDomain: { min: 1, max: 8 } }), focus: [], scopeExists: () => true, agentDefinitions: defs };
    const r = validatePlan(plan, ctx);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual(['Worker "a1" names the agent "api-reviwer", which is not defined; use one of api-reviewer or leave `agent` out']);
    plan.domains[0].workers[0].agent = 'api-reviewer';
    expect(validatePlan(plan, ctx).ok).toBe(true);
    expect(unknownAgentErrors('Expert "e1"', 'x', [])).toEqual(['Expert "e1" names the agent "x", which is not defined; no agents are defined, so leave `agent` out']);
  });

  it('sets the definition\'s tier, notes what the role withholds, and shows both in plan.md', () => {
    const a1 = agentRecord(config, { id: 'a1', role: 'worker', domain: 'a', tier: 'sonnet', task: 'Review the handlers', scope: ['api'], dependsOn: [], outputFile: 'workers/a1.md' });
    a1.agentDefinition = 'api-reviewer';
    const a2 = agentRecord(config, { id: 'a2', role: 'worker', domain: 'a', tier: 'sonnet', task: 'Other', scope: ['api'], dependsOn: [], outputFile: 'workers/a2.md' });
    applyDefinitions([a1, a2], defs, config, () => WORKER_TOOL_NAMES);
    expect(a1).toMatchObject({ tier: 'haiku', modelRequested: config.models.haiku, agentNotes: ['runs on haiku, as its definition says (planned: sonnet)', 'Bash not given: no tool runs a shell here'] });
    expect(a2.agentNotes).toBeUndefined();
    const md = renderPlanMarkdown({ task: 't', pattern: 'fan-out', patternReason: '', estimate: null, groups: [{ id: 'a', label: 'API' }], agents: [a1, a2] });
    expect(md).toContain('| a1 (@api-reviewer) | worker |');
    expect(md).toContain('> **Note:** a1 (@api-reviewer): runs on haiku, as its definition says (planned: sonnet); Bash not given: no tool runs a shell here');
    expect(JSON.parse(runDefinitionsJson([a1, a2], defs))).toEqual([expect.objectContaining({ name: 'api-reviewer', body: defs[0].body, tools: ['Read', 'Grep', 'Bash'] })]);
    expect(runDefinitionsJson([a2], defs)).toBe('');
  });

  it('asks each role what it may use: Write and Edit are a builder\'s, and only a note on a worker', () => {
    const editor = parseDefinition('---\nname: editor\ndescription: Edits code\ntools: Read, Write, Edit\n---\nEdit carefully.\n', 'e.md');
    if (!editor.ok) throw new Error(editor.error.message);
    const b1 = agentRecord(config, { id: 'b1', role: 'builder', domain: 'builders', tier: 'opus', task: 'Change it', scope: ['a.js'], dependsOn: [], outputFile: 'builders/b1.md' });
    const w1 = agentRecord(config, { id: 'a1', role: 'worker', domain: 'a', tier: 'sonnet', task: 'Look at it', scope: ['a.js'], dependsOn: [], outputFile: 'workers/a1.md' });
    b1.agentDefinition = 'editor';
    w1.agentDefinition = 'editor';
    applyDefinitions([b1], [editor.definition], config, roleToolsOf(patternNamed('build')!));
    applyDefinitions([w1], [editor.definition], config, roleToolsOf(patternNamed('fan-out')!));
    expect(b1.agentNotes).toBeUndefined();
    expect(b1.tier).toBe('opus');
    expect(w1.agentNotes).toEqual(['Write not given: a worker may not use write_file or delete_file', 'Edit not given: a worker may not use edit_file']);
    expect(intersectTools(BUILDER_TOOL_NAMES, editor.definition.tools)).toEqual(['read_file', 'write_file', 'edit_file', 'delete_file']);
  });

  it('keeps the planner\'s block bounded with 200 definitions: summaries for the first, names for the rest', () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ name: `agent-${i}`, description: `${'Does a very specific thing. '.repeat(10)}`, model: 'inherit' as const }));
    const block = plannerAgentsBlock(many);
    expect(block.length).toBeLessThanOrEqual(PLANNER_BLOCK_CHARS + 400);
    expect(block).toContain('- agent-0: Does a very specific thing.');
    expect(block).toMatch(/Also defined \(by name only\): agent-\d+, /);
    expect(plannerAgentsBlock([])).toBe('');
  });

  it('puts the agents the task is about first, and takes a bounded share of a short prompt', () => {
    const many: Array<{ name: string; description: string; model: 'inherit' | 'opus' }> = Array.from({ length: 200 }, (_, i) => ({ name: `agent-${i}`, description: 'Does a very specific thing.', model: 'inherit' }));
    many[150] = { name: 'billing-auditor', description: 'Audits invoices and refunds.', model: 'opus' };
    const block = plannerAgentsBlock(many, { task: 'Audit the billing code', promptChars: 12_000 });
    expect(block.split('\n').find((l) => l.startsWith('- '))).toBe('- billing-auditor (opus): Audits invoices and refunds.');
    // The header, then at most 5 % of the prompt's characters (600 at least), plus the words around the names.
    const header = plannerAgentsBlock([{ name: 'x', description: 'y', model: 'inherit' }]).length - '- x: y\n'.length;
    expect(block.length).toBeLessThanOrEqual(header + 600 + '\nAlso defined (by name only):  and 200 more.\n'.length);
    expect(block).toMatch(/ and \d+ more\.\n$/);
  });
});

describe('a home folder that is the workspace', () => {
  it('reads a folder once, at its first place', async () => {
    const ws = scratch('orch-agents-same-');
    put(ws, '.claude/agents/tester.md', def('tester'));
    const c = await loadAgentDefinitions(ws, { home: ws });
    expect(c.definitions.map((d) => [d.name, d.origin])).toEqual([['tester', 'workspace']]);
    expect(c.shadowed).toEqual([]);
  });
});

describe('the simulated planner\'s routing', () => {
  it('reads the listed names back from the planner\'s block and routes a scope by a word of a name', () => {
    const block = plannerAgentsBlock([
      { name: 'api-reviewer', description: 'Reviews HTTP handlers.', model: 'haiku' },
      { name: 'db-migrator', description: 'Writes migrations.', model: 'inherit' },
    ]);
    const names = listedAgents(`# Role: planner\n${block}\nSubmit the plan.`);
    expect(names).toEqual(['api-reviewer', 'db-migrator']);
    expect(agentForScope(['src/api/orders.js'], names)).toBe('api-reviewer');
    expect(agentForScope(['src/db'], names)).toBe('db-migrator');
    // "reviewer" alone is too generic to route on.
    expect(agentForScope(['docs/reviewer-guide.md'], names)).toBeUndefined();
  });
});
