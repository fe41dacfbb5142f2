import { z } from 'zod';
import type { Config } from '../config';
import type { ModelRequest } from '../model/client';
import { PlanSchema, validatePlan, type Plan } from '../patterns/fan-out/plan';
import type { Prompts } from '../prompts';
import type { RequestPolicy } from '../model/requests';
import type { Usage } from '../types';

export class PlanError extends Error {
  constructor(message: string, readonly errors: string[]) {
    super(message);
    this.name = 'PlanError';
  }
}

export interface PlannerDeps {
  config: Config;
  prompts: Prompts;
  policy: RequestPolicy;
  scopeExists(p: string): boolean;
  onUsage(model: string, usage: Usage): void;
}

const SUBMIT_PLAN = 'submit_plan';

/** JSON schema of the plan for the forced tool; built once from the same zod schema that validates. */
const planInputSchema = z.toJSONSchema(PlanSchema, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
delete planInputSchema.$schema;

/**
 * Asks the planner model for a plan through a forced tool call, validates it against the schema,
 * the configured bounds and the real workspace, and re-asks with the validation errors up to
 * `planRetries` times. Fails with every error of the last attempt, so the user sees what was wrong.
 */
export async function requestPlan(
  deps: PlannerDeps, task: string, overview: string, focus: string[], signal: AbortSignal,
): Promise<Plan> {
  const { config, prompts } = deps;
  const system = prompts.render('planner', {
    minDomains: config.domains.min, maxDomains: config.domains.max,
    minWorkers: config.workersPerDomain.min, maxWorkers: config.workersPerDomain.max,
  });
  let errors: string[] = [];
  for (let attempt = 0; attempt <= config.planRetries; attempt++) {
    const feedback = errors.length
      ? `\n# Validation errors\nYour previous plan was rejected. Fix every one of these:\n${errors.map((e) => `- ${e}`).join('\n')}\n`
      : '';
    const user = prompts.render('planner-user', {
      task,
      focus: focus.length ? `Focus only on: ${focus.join(', ')}\n` : '',
      overview,
      feedback,
    });
    const req: ModelRequest = {
      model: config.models.sonnet,
      system: [{ type: 'text', text: system }],
      messages: [{ role: 'user', content: [{ type: 'text', text: user }] }],
      tools: [{ name: SUBMIT_PLAN, description: 'Submit the plan for the run.', input_schema: planInputSchema }],
      toolChoice: { type: 'tool', name: SUBMIT_PLAN },
      maxTokens: config.maxTokensPerResponse,
      signal,
      timeoutMs: config.requestTimeoutMs,
    };
    const res = await deps.policy.send(req, config.tierCaps.sonnet);
    deps.onUsage(res.model, res.usage);
    const call = res.content.find((b) => b.type === 'tool_use' && b.name === SUBMIT_PLAN);
    if (!call || call.type !== 'tool_use') {
      errors = [`Expected a call to ${SUBMIT_PLAN}; the model answered with ${res.content.map((b) => b.type).join(', ') || 'nothing'}`];
      continue;
    }
    const input = typeof call.input === 'object' && call.input !== null ? { task, ...call.input } : call.input;
    const check = validatePlan(input, config, deps.scopeExists);
    if (check.ok) return check.plan;
    errors = check.errors;
  }
  throw new PlanError(
    `The planner did not produce a valid plan after ${config.planRetries + 1} attempts:\n  ${errors.join('\n  ')}`,
    errors,
  );
}
