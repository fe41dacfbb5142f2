/**
 * The planner call: asks the model for a plan of one of the registry's patterns. It lives in
 * patterns/ beside the registry it reads, not in plan/: the patterns import plan/ (the workspace
 * overview, the plan table, PlanError), so plan/ cannot import the registry.
 */
import { z } from 'zod';
import type { Config } from '../config';
import type { ModelRequest, ToolDefinition } from '../model/client';
import { PlanInputError, type Compiled, type PlanningContext } from './pattern';
import { PLANNABLE_PATTERNS, patternNamed, validatePlan, type AnyPattern, type AnyPlan, type PatternChoice } from './registry';
import type { Prompts } from '../prompts';
import type { RequestPolicy } from '../model/requests';
import { sendRecorded } from '../transcripts/record';
import type { AgentTranscript } from '../transcripts/writer';
import type { Usage } from '../types';
import type { FindingsFile } from '../pipelineFiles';
import { findingsBlock } from './build/findingLines';
import { PlanError } from '../plan/planError';
import { plannerAgentsBlock } from '../agents/catalog';
import type { AgentDefinition } from '../agents/definition';

export interface PlannerDeps {
  /** Absolute workspace root: compiling a plan may look at it (map-reduce selects files). */
  workspace: string;
  config: Config;
  prompts: Prompts;
  policy: RequestPolicy;
  scopeExists: (p: string) => boolean;
  /** Every response's usage, so the planner's record in the ledger holds what planning cost; returns its cost. */
  onUsage(model: string, usage: Usage): number;
  /** Secrets withheld from a response (the planner's `redactions`). */
  onRedacted?: (count: number) => void;
  /** The planner's transcript (transcripts/planner.jsonl). */
  transcript?: AgentTranscript;
  /** Lessons from memory.md within their budget (memory/budget.ts), or '' for none. */
  memory?: string;
  /** The user's agent definitions: the planner may assign workers, experts and builders to them. */
  agents?: readonly AgentDefinition[];
}

export interface PlanRequest {
  task: string;
  overview: string;
  focus: string[];
  /** A pattern by name, or `auto` to let the planner choose with the decision tree. */
  pattern: PatternChoice;
  /** Fix Findings: the findings the build fixes; the planner plans its scouts from them. */
  findings?: FindingsFile;
}

/** The tool through which the planner submits a plan of one pattern: `plan_fan_out`, `plan_pipeline`, … */
export const planToolName = (pattern: AnyPattern): string => `plan_${pattern.name.replace(/-/g, '_')}`;

const ReasonSchema = z.object({
  reason: z.string().trim().min(1).max(600).describe('Why this pattern fits the task, in one sentence.'),
});

/** The forced tool of each pattern; its schema is built once from the zod schema that validates. */
const toolCache = new Map<string, ToolDefinition>();
function planTool(pattern: AnyPattern): ToolDefinition {
  let tool = toolCache.get(pattern.name);
  if (!tool) {
    const schema = z.toJSONSchema(pattern.submitSchema.extend(ReasonSchema.shape), { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
    delete schema.$schema;
    tool = { name: planToolName(pattern), description: `Submit a ${pattern.name} plan: for ${pattern.whenToUse}.`, input_schema: schema };
    toolCache.set(pattern.name, tool);
  }
  return tool;
}

/** The pattern-specific part of the planner's system prompt: one pattern's rules, or the decision tree. */
function patternGuide(candidates: readonly AnyPattern[], config: Config): string {
  if (candidates.length === 1) return `# Pattern: ${candidates[0].name}\n${candidates[0].plannerInstructions(config)}`;
  const tree = candidates.map((p) => `- ${p.name} (${planToolName(p)}): ${p.whenToUse}`).join('\n');
  const rules = candidates.map((p) => `## ${p.name}\n${p.plannerInstructions(config)}`).join('\n\n');
  return `# Choosing a pattern\nPick the one pattern that fits the task best, and say why in \`reason\` (one sentence):\n${tree}\n\n# Rules of each pattern\n${rules}`;
}

/**
 * Asks the planner model for a plan through a forced tool call (one tool per candidate pattern;
 * in `auto` the model picks the pattern by picking the tool), validates it against the pattern's
 * schema, the configured bounds, the focus and the real workspace (compiling it, so a plan that
 * does not fit the workspace counts as invalid), and re-asks with the
 * validation errors up to `planRetries` times. Fails with every error of the last attempt, so the
 * user sees what was wrong.
 */
export async function requestPlan(deps: PlannerDeps, req: PlanRequest, signal: AbortSignal): Promise<{ plan: AnyPlan; pattern: AnyPattern; compiled: Compiled }> {
  const { config, prompts } = deps;
  const fixed = req.pattern === 'auto' ? null : patternNamed(req.pattern);
  if (req.pattern !== 'auto' && (!fixed || fixed.plannedFromFile)) {
    throw new PlanError(`Unknown pattern "${req.pattern}"; expected auto or one of ${PLANNABLE_PATTERNS.map((p) => p.name).join(', ')}`, []);
  }
  const candidates = fixed ? [fixed] : PLANNABLE_PATTERNS;
  const tools = candidates.map(planTool);
  const systemValues = {
    patternGuide: patternGuide(candidates, config),
    submitHow: fixed ? `the \`${planToolName(fixed)}\` tool` : 'exactly one of the plan tools',
    // In the system prompt, the part every attempt repeats, so re-asks read it from the cache's prefix.
    memory: deps.memory ? `\n${deps.memory}` : '',
  };
  // The user's agents (.claude/agents): like memory, the same on every attempt; a bounded share of
  // the prompt they join, the ones the task is about first.
  const promptChars = prompts.render('planner', { ...systemValues, agents: '' }).length + req.overview.length + req.task.length;
  const system = prompts.render('planner', { ...systemValues, agents: plannerAgentsBlock(deps.agents ?? [], { task: req.task, promptChars }) });
  const ctx: PlanningContext = { config, focus: req.focus, scopeExists: deps.scopeExists, agentDefinitions: deps.agents ?? [], ...(req.findings ? { findings: req.findings.findings } : {}) };
  let errors: string[] = [];
  for (let attempt = 0; attempt <= config.planRetries; attempt++) {
    const feedback = errors.length
      ? `\n# Validation errors\nYour previous plan was rejected. Fix every one of these:\n${errors.map((e) => `- ${e}`).join('\n')}\n`
      : '';
    const user = prompts.render('planner-user', {
      task: req.task,
      focus: req.focus.length ? `Focus only on: ${req.focus.join(', ')}\n` : '',
      overview: req.overview,
      findings: req.findings ? `\n${findingsBlock(req.findings.findings, req.findings.from, true)}` : '',
      feedback,
    });
    if (attempt === 0) deps.transcript?.begin({ model: config.models.sonnet, system, shared: null, prompt: user, instruction: null });
    const modelReq: ModelRequest = {
      model: config.models.sonnet,
      system: [{ type: 'text', text: system }],
      messages: [{ role: 'user', content: [{ type: 'text', text: user }] }],
      tools,
      toolChoice: fixed ? { type: 'tool', name: planToolName(fixed) } : { type: 'any' },
      maxTokens: config.maxTokensPerResponse,
      signal,
      timeoutMs: config.requestTimeoutMs,
    };
    const res = await sendRecorded(deps.policy, modelReq, config.tierCaps.sonnet, deps.transcript, attempt + 1, deps.onRedacted);
    const cost = deps.onUsage(res.model, res.usage);
    deps.transcript?.usage(res.usage, cost, res.stopReason, res.model);
    const names = new Set(tools.map((t) => t.name));
    const call = res.content.find((b) => b.type === 'tool_use' && names.has(b.name));
    if (!call || call.type !== 'tool_use') {
      errors = [`Expected a call to ${[...names].join(' or ')}; the model answered with ${res.content.map((b) => (b.type === 'tool_use' ? `tool ${b.name}` : b.type)).join(', ') || 'nothing'}`];
      deps.transcript?.error(`plan rejected: ${errors.join('; ')}`, false);
      continue;
    }
    const pattern = candidates.find((p) => planToolName(p) === call.name)!;
    const input = typeof call.input === 'object' && call.input !== null
      ? { ...(call.input as Record<string, unknown>), task: req.task, pattern: pattern.name, focus: req.focus }
      : call.input;
    const check = validatePlan(input, ctx);
    if (!check.ok) {
      errors = check.errors;
      deps.transcript?.toolResult(call.id, false, `plan rejected:\n${errors.join('\n')}`);
      continue;
    }
    // Compiling is part of validation: a plan that cannot be laid over the real workspace is re-asked too.
    try {
      const compiled = await check.pattern.compile(check.plan, { workspace: deps.workspace, config });
      deps.transcript?.toolResult(call.id, true, `plan accepted: ${check.pattern.name}, ${compiled.agents.length} agents`);
      return { plan: check.plan, pattern: check.pattern, compiled };
    } catch (err) {
      if (!(err instanceof PlanInputError)) throw err;
      errors = err.errors;
      deps.transcript?.toolResult(call.id, false, `plan rejected:\n${errors.join('\n')}`);
    }
  }
  throw new PlanError(
    `The planner did not produce a valid plan after ${config.planRetries + 1} attempts:\n  ${errors.join('\n  ')}`,
    errors,
  );
}
