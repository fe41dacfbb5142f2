/**
 * The MCP tools: each a zod input schema, a description written for a model, and a handler that
 * calls the engine as the CLI does. Answers are short text (answers.ts); bad input is a ToolError
 * naming the problem and what to do.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import {
  applyRunChanges, checkedRunDir, ConfigError, DEFAULT_PATTERN, patternNamed, discardRunChanges, isInside, MAX_TASK_CHARS, PATTERN_CHOICES, PlanError,
  readChangeSet, redactText, scanRuns, SUMMARY_FILE, taskTooLong, type Config, type Orchestrator, type PatternChoice,
} from '../engine';
import { capped, changesText, listText, planText, plannedText, shown, statusLine, statusText } from './answers';
import type { ApprovalGate } from './approval';
import { ToolError } from './errors';
import type { RunRegistry } from './registry';

/** The longest run_status may hold a call: under the 60 s most MCP clients allow a request. */
export const MAX_WAIT_SECONDS = 50;
const DEFAULT_RESULT_TOKENS = 1500;
const DEFAULT_OUTPUT_TOKENS = 2000;
const MAX_READ_TOKENS = 20_000;
const LIST_LIMIT = 20;

export interface ToolDeps {
  orchestrator: Orchestrator;
  registry: RunRegistry;
  gate: ApprovalGate;
  workspace: string;
  config: Config;
  /** Why no run can be planned or started (no API key), or null. */
  unavailable: string | null;
  /** Who is calling, for the ledger (`mcp:<client name>`). */
  startedBy(): string;
}

const runId = z.string().describe('The run id, as plan_task or list_runs gave it (YYYYMMDD-HHMMSS-xxxx).');
const maxTokens = z.number().int().min(100).max(MAX_READ_TOKENS).optional();

const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: redactText(t) }] });

/** Runs a handler, turning what it throws into a tool error the model reads (redacted like every answer). */
async function answer(fn: () => Promise<string>): Promise<CallToolResult> {
  try {
    return text(await fn());
  } catch (e) {
    const known = e instanceof ToolError || e instanceof ConfigError || e instanceof PlanError;
    const message = known ? e.message : `Failed: ${(e as Error).message}`;
    return { content: [{ type: 'text', text: redactText(message) }], isError: true };
  }
}

/**
 * A file of a run folder, or null when it does not exist. A run folder is untrusted (a repository
 * can ship one): a path or symlink leading out of it is refused, never read and sent to a model.
 */
export async function readInside(dir: string, rel: string): Promise<string | null> {
  const file = path.resolve(dir, rel);
  const real = await fs.realpath(file).catch(() => null);
  if (real === null) return null;
  if (!isInside(dir, file, { strict: true }) || !isInside(await fs.realpath(dir), real, { strict: true })) {
    throw new ToolError(`${rel} leads outside its run folder ${dir}; it is not read.`);
  }
  return fs.readFile(real, 'utf8').catch(() => null);
}

export function registerTools(server: McpServer, d: ToolDeps): void {
  const { registry, orchestrator, gate, workspace, config } = d;
  const available = (): void => {
    if (d.unavailable) throw new ToolError(`${d.unavailable}. This server started without one; once it is set, restart the server. Past runs can still be read.`);
  };
  const dirOf = (id: string): Promise<string> => checkedRunDir(workspace, config.outputRoot, registry.checkId(id));

  server.registerTool('plan_task', {
    description: 'Plan a task too big for one context (e.g. "audit every service", "fix these 12 findings") as a run of many agents. '
      + 'Returns a run id, the pattern, a compact plan and the cost estimate. Nothing runs until approve_run.',
    inputSchema: {
      task: z.string().describe(`What the agents should do, at most ${MAX_TASK_CHARS.toLocaleString('en-US')} characters; name workspace files for longer material.`),
      pattern: z.enum(PATTERN_CHOICES as [PatternChoice, ...PatternChoice[]]).optional().describe('auto (default: the planner chooses), fan-out, pipeline, panel, map-reduce, supervisor, or build (changes code; needs a git repository).'),
      focus: z.array(z.string()).optional().describe('Workspace folders to confine the run to.'),
      workflow: z.string().optional().describe('Not supported yet.'),
      params: z.record(z.string(), z.unknown()).optional().describe('Not supported yet.'),
    },
  }, (args) => answer(async () => {
    if (args.workflow !== undefined || args.params !== undefined) {
      throw new ToolError('Workflows are not supported yet, so workflow and params cannot be used. Describe the work in task (and choose a pattern) instead.');
    }
    available();
    const tooLong = taskTooLong(args.task.trim());
    if (tooLong) throw new ToolError(tooLong);
    return plannedText(await registry.plan({ task: args.task, pattern: args.pattern ?? 'auto', focus: args.focus ?? [], startedBy: d.startedBy() }));
  }));

  server.registerTool('approve_run', {
    description: 'Start a planned run. The user is asked to confirm the plan and estimate first. Returns at once; the run goes on in the background (follow it with run_status).',
    inputSchema: { runId },
  }, (args) => answer(async () => {
    const first = await registry.snapshot(args.runId);
    registry.refuseUnapprovable(first);
    available();
    const release = registry.claim(first.runId);
    try {
      const snap = await registry.snapshot(first.runId);
      registry.refuseUnapprovable(snap);
      const command = snap.workspaceCommand;
      const question = command
        ? `Start run ${snap.runId}, and run \`${command.command}\` (from ${command.source}) in each builder's worktree?`
        : `Start run ${snap.runId}?`;
      const { answer: said, byUser } = await gate.confirm('approve_run', question, `Task: ${snap.task.split('\n', 1)[0]}\n${planText(snap)}`);
      if (said === 'dismissed') throw new ToolError(`The user closed the question without answering; run ${snap.runId} still awaits approval. Call approve_run again when the user is ready, or decline_run.`);
      if (said === 'no') {
        await registry.decline(snap.runId, 'the user declined the plan when asked through MCP; nothing ran');
        return `The user declined run ${snap.runId}: nothing ran, and it cannot be started. Plan again with plan_task if the user wants a different plan.`;
      }
      // Yes from the user to a plan that shows the repository's command is consent to that exact
      // command here, as at the CLI's prompt. An agent's own approval never is.
      const wc = orchestrator.workspaceCommand;
      if (byUser && command && wc) await orchestrator.consent.grant(workspace, wc.command);
      const run = await registry.start(snap.runId);
      const who = byUser ? 'the user' : 'you (the server runs with --allow-agent-approval)';
      return `Run ${run.id} approved by ${who} and running.\n${statusLine(run.ledger.snapshot())}\n`
        + `Next: run_status {runId: "${run.id}", waitSeconds: ${MAX_WAIT_SECONDS}} to sleep until it ends.`;
    } finally {
      release();
    }
  }));

  server.registerTool('decline_run', {
    description: 'Decline a planned run: nothing of it runs, ever.',
    inputSchema: { runId },
  }, (args) => answer(async () => {
    const snap = await registry.snapshot(args.runId);
    if (snap.status !== 'awaiting-approval') throw new ToolError(`Run ${snap.runId} is ${snap.status}, not awaiting approval, so there is nothing to decline.${snap.status === 'running' ? ' To stop it, call cancel_run.' : ''}`);
    const release = registry.claim(snap.runId);
    try {
      await registry.decline(snap.runId, 'declined through MCP; nothing ran');
    } finally {
      release();
    }
    return `Run ${snap.runId} declined; nothing ran.`;
  }));

  server.registerTool('run_status', {
    description: `A run's status in a few lines: done/total overall and by group, spend, gaps. Cheap. `
      + `waitSeconds (at most ${MAX_WAIT_SECONDS}) holds the call until the run ends or the time is up: sleep on it instead of polling.`,
    inputSchema: { runId, waitSeconds: z.number().min(0).optional().describe(`Seconds to wait for the run to end, at most ${MAX_WAIT_SECONDS}.`) },
  }, (args, extra) => answer(async () => {
    const wait = args.waitSeconds ?? 0;
    if (wait > MAX_WAIT_SECONDS) {
      throw new ToolError(`waitSeconds is ${wait}; at most ${MAX_WAIT_SECONDS} are allowed (clients time out longer calls). Call run_status again to wait longer.`);
    }
    let snap = await registry.snapshot(args.runId);
    if (wait > 0 && (snap.status === 'running' || snap.status === 'planning')) {
      await registry.waitForEnd(snap.runId, wait * 1000, extra.signal);
      snap = await registry.snapshot(snap.runId);
    }
    return statusText(snap);
  }));

  server.registerTool('run_result', {
    description: "A finished run's summary.md (capped), the paths of its synthesis files and its gaps; for a build run, the changed files with +/- counts.",
    inputSchema: { runId, maxTokens: maxTokens.describe(`Most tokens of summary.md to return (default ${DEFAULT_RESULT_TOKENS}).`) },
  }, (args) => answer(async () => {
    const snap = await registry.snapshot(args.runId);
    if (['running', 'planning', 'awaiting-approval'].includes(snap.status)) {
      throw new ToolError(`Run ${snap.runId} is ${snap.status}; it has no result yet. ${snap.status === 'awaiting-approval' ? 'Call approve_run first.' : 'Call run_status with waitSeconds to wait for it.'}`);
    }
    const dir = await dirOf(snap.runId);
    const lines = [statusLine(snap)];
    if (snap.reason) lines.push(`Reason: ${snap.reason}`);
    const summary = await readInside(dir, SUMMARY_FILE);
    const summaryPath = shown(workspace, path.join(dir, SUMMARY_FILE));
    if (summary !== null) lines.push(`--- ${summaryPath} ---`, capped(summary.trim(), args.maxTokens ?? DEFAULT_RESULT_TOKENS, summaryPath), '---');
    else lines.push('No summary.md was written.');
    const roles: readonly string[] = patternNamed(snap.pattern ?? DEFAULT_PATTERN)?.view.synthesisRoles ?? [];
    const synthesis = snap.agents.filter((a) => roles.includes(a.role) && a.status === 'completed');
    if (synthesis.length) lines.push(`Synthesis files: ${synthesis.map((a) => shown(workspace, path.join(dir, a.outputFile))).join(', ')}`);
    if (snap.gaps.length) lines.push(`Gaps: ${snap.gaps.map((g) => `${g.agentId} (${g.reason})`).join('; ')}`);
    const cs = await readChangeSet(dir);
    if (cs) lines.push(changesText(cs), cs.state === 'proposed' ? 'Next: apply_changes (the user is asked) or discard_changes.' : '');
    lines.push('Read one agent\'s file with agent_output.');
    return lines.filter((l) => l !== '').join('\n');
  }));

  server.registerTool('agent_output', {
    description: "One agent's output file, capped to maxTokens. Use it for a detail the summary leaves out; the agent ids are in run_result's gaps and the run's ledger.",
    inputSchema: { runId, agentId: z.string().describe('The agent id, e.g. a1, coord-a, final.'), maxTokens: maxTokens.describe(`Most tokens to return (default ${DEFAULT_OUTPUT_TOKENS}).`) },
  }, (args) => answer(async () => {
    const snap = await registry.snapshot(args.runId);
    const agent = snap.agents.find((a) => a.id === args.agentId);
    if (!agent) {
      const ids = snap.agents.map((a) => a.id);
      throw new ToolError(`Run ${snap.runId} has no agent "${args.agentId}". Its agents: ${ids.slice(0, 40).join(', ')}${ids.length > 40 ? ' …' : ''}.`);
    }
    const dir = await dirOf(snap.runId);
    const file = path.resolve(dir, agent.outputFile);
    const content = await readInside(dir, agent.outputFile);
    if (content === null) return `Agent ${agent.id} (${agent.status}) has written nothing yet${agent.error ? `: ${agent.error}` : ''}.`;
    const where = shown(workspace, file);
    return `${agent.id} ${agent.role} ${agent.status} — ${where}\n${capped(content.trim(), args.maxTokens ?? DEFAULT_OUTPUT_TOKENS, where)}`;
  }));

  server.registerTool('cancel_run', {
    description: 'Cancel a run this server executes (in-flight requests stop within a second; files written so far stay), or decline one awaiting approval.',
    inputSchema: { runId },
  }, (args) => answer(async () => {
    const snap = await registry.snapshot(args.runId);
    const exec = registry.execution(snap.runId);
    if (exec && (snap.status === 'running' || snap.status === 'planning')) {
      exec.run.cancel();
      await exec.done;
      return `Run ${snap.runId} cancelled; every file written so far stays. ${statusLine(exec.run.ledger.snapshot())}`;
    }
    if (snap.status === 'awaiting-approval') {
      const release = registry.claim(snap.runId);
      try { await registry.decline(snap.runId, 'cancelled through MCP before approval; nothing ran'); } finally { release(); }
      return `Run ${snap.runId} was awaiting approval; it is declined now and nothing ran.`;
    }
    if (snap.status === 'running' || snap.status === 'planning') {
      throw new ToolError(`Run ${snap.runId} executes in another process (pid ${snap.pid ?? 'unknown'}), which owns it; cancel it there (VS Code: Cancel Run in the Ledger; a terminal: Ctrl-C).`);
    }
    return `Run ${snap.runId} is ${snap.status}; nothing to cancel.`;
  }));

  server.registerTool('list_runs', {
    description: `The runs of this workspace, newest first (at most ${LIST_LIMIT}): id, status, done/total, spend, who started it, task.`,
    inputSchema: {},
  }, () => answer(async () => {
    const { runs } = await scanRuns(workspace, config.outputRoot, { activeRunIds: orchestrator.active });
    const rows = runs.slice(0, LIST_LIMIT).map((r) => ({ ...(registry.live(r.runId)?.ledger.snapshot() ?? r), foreign: r.origin?.local === false }));
    return listText(rows, Math.max(0, runs.length - LIST_LIMIT));
  }));

  server.registerTool('apply_changes', {
    description: "Write a finished build run's change to the user's working tree (never commits). The user is asked to confirm first. files: only these repository-relative paths.",
    inputSchema: { runId, files: z.array(z.string()).optional().describe('Apply only these files of the change (default: all not applied yet).') },
  }, (args) => answer(async () => {
    const snap = await registry.snapshot(args.runId);
    if (snap.status === 'running' || snap.status === 'planning') throw new ToolError(`Run ${snap.runId} is ${snap.status}; wait for it to end (run_status with waitSeconds) before applying its changes.`);
    const dir = await dirOf(snap.runId);
    const cs = await readChangeSet(dir);
    if (!cs) throw new ToolError(`Run ${snap.runId} has no proposed change: it is not a build run, or it assembled nothing. See run_result.`);
    if (cs.state !== 'proposed') throw new ToolError(`The change of run ${snap.runId} was already ${cs.state}; there is nothing to apply.`);
    const files = args.files?.length ? args.files : undefined;
    const unknown = (files ?? []).filter((f) => !cs.files.some((c) => c.path === f));
    if (unknown.length) throw new ToolError(`Not in the change of run ${snap.runId}: ${unknown.join(', ')}. Its files: ${cs.files.map((f) => f.path).join(', ')}.`);
    const shownSet = files ? { ...cs, files: cs.files.filter((f) => files.includes(f.path)) } : cs;
    const { answer: said } = await gate.confirm('apply_changes', `Write these changes of run ${snap.runId} to your working tree (not committed)?`, changesText(shownSet));
    if (said !== 'yes') return `The user ${said === 'no' ? 'said no' : 'closed the question'}: nothing was written. The change stays proposed.`;
    try {
      const { applied, remaining } = await applyRunChanges({ workspace, runDir: dir, runId: snap.runId, rootOverride: config.worktreesDir, ...(files ? { files } : {}) });
      return [`Applied ${applied.length} ${applied.length === 1 ? 'file' : 'files'} to the working tree (not committed): ${applied.join(', ')}.`,
        ...(remaining.length ? [`Still proposed: ${remaining.join(', ')}.`] : [])].join('\n');
    } catch (e) {
      throw new ToolError((e as Error).message);
    }
  }));

  server.registerTool('discard_changes', {
    description: "Drop a build run's proposed change: its worktrees and branches are removed. The user's working tree is not touched.",
    inputSchema: { runId },
  }, (args) => answer(async () => {
    const snap = await registry.snapshot(args.runId);
    if (snap.status === 'running' || snap.status === 'planning') throw new ToolError(`Run ${snap.runId} is ${snap.status}; cancel it (cancel_run) or wait for it to end before discarding its changes.`);
    const dir = await dirOf(snap.runId);
    try {
      await discardRunChanges({ workspace, runDir: dir, runId: snap.runId, rootOverride: config.worktreesDir });
    } catch (e) {
      throw new ToolError((e as Error).message);
    }
    return `Discarded the changes of run ${snap.runId}: its worktrees and branches are gone; the working tree was not touched.`;
  }));
}
