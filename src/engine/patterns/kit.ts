/**
 * Building blocks every pattern's roles use: the agent loop's common parameters, the retry note,
 * the verification of an output file, and workspace-relative paths for prompts.
 */
import * as path from 'node:path';
import { ignoreOptionsOf } from '../config';
import { endsWithSentinel, readTextOrNull } from '../files';
import type { ToolContext } from '../tools/tools';
import type { ConversationParams } from '../run/converse';
import { SENTINEL, type AgentRecord } from '../types';
import type { RoleContext } from './pattern';

/** A path as the model sees it: relative to the workspace, '/'-separated. */
export const relToWorkspace = (ctx: RoleContext, abs: string): string => path.relative(ctx.workspace, abs).split(path.sep).join('/');

/** The agent's output file, absolute. */
export const outputPath = (ctx: RoleContext, agent: AgentRecord): string => path.join(ctx.runDir, agent.outputFile);

/** The parameters of converse() that come from the agent and the run rather than from the role. */
export function conversationBase(ctx: RoleContext, agent: AgentRecord, signal: AbortSignal):
  Omit<ConversationParams, 'system' | 'userBlock' | 'tools' | 'toolCtx'> {
  return {
    agentId: agent.id,
    model: agent.modelRequested,
    cap: ctx.config.tierCaps[agent.tier],
    maxTurns: ctx.config.maxTurns,
    maxTokens: ctx.config.maxTokensPerResponse,
    requestTimeoutMs: ctx.config.requestTimeoutMs,
    caching: ctx.config.promptCaching,
    signal,
    policy: ctx.policy,
    ledger: ctx.ledger,
    price: ctx.price,
  };
}

/**
 * The workspace tools' context for an agent: its own output file, the run's ignore rules, and the
 * run's focus (the tools refuse paths outside it). `extra` adds what a role may read besides.
 */
export function toolContext(ctx: RoleContext, agent: AgentRecord, extra: Partial<ToolContext> = {}): ToolContext {
  return {
    workspace: ctx.workspace, outputRoot: ctx.config.outputRoot, ownOutputFile: outputPath(ctx, agent),
    ...ignoreOptionsOf(ctx.config), ...(ctx.plan.focus.length ? { focus: ctx.plan.focus } : {}), ...extra,
  };
}

/** What the next attempt is told about the last one. */
export function retryNote(previousError: string | null): string {
  return previousError
    ? `\nYour previous attempt failed: ${previousError}\nFix that this time; your file must end with the exact line ${SENTINEL}.\n`
    : '';
}

/** Why an output file does not prove the work was done, or null when it does. */
export async function verifyOutput(file: string, what: string): Promise<string | null> {
  const text = await readTextOrNull(file);
  if (text === null) return `${what} was never written (write_output was not called)`;
  if (!endsWithSentinel(text)) return `${what} does not end with the line ${SENTINEL}`;
  return null;
}
