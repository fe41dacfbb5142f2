/**
 * The MCP server over one workspace: the engine's runs as tools and resources. Transport-free,
 * so the CLI serves it on stdio and tests may connect it in memory.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Config, Orchestrator } from '../engine';
import { approvalGate } from './approval';
import { RunRegistry } from './registry';
import { registerResources } from './resources';
import { registerTools } from './tools';

export interface McpServerOptions {
  orchestrator: Orchestrator;
  workspace: string;
  config: Config;
  /** Let the agent approve runs and apply changes when its client cannot ask the user. */
  allowAgentApproval: boolean;
  version: string;
  /** Why no run can be planned or started (no API key). */
  unavailable?: string | undefined;
}

export const SERVER_NAME = 'scaled-agent-orchestration';

const INSTRUCTIONS = 'Hands tasks too big for one context to many Claude agents. plan_task, then approve_run (the user confirms), '
  + 'then sleep on run_status with waitSeconds, then read run_result: a short summary, never the workers\' output.';

export function createMcpServer(o: McpServerOptions): { server: McpServer; registry: RunRegistry } {
  const server = new McpServer({ name: SERVER_NAME, version: o.version }, { instructions: INSTRUCTIONS });
  const registry = new RunRegistry(o.orchestrator, o.workspace);
  const gate = approvalGate(server.server, o.allowAgentApproval);
  const startedBy = (): string => `mcp:${server.server.getClientVersion()?.name ?? 'unknown client'}`;
  registerTools(server, { orchestrator: o.orchestrator, registry, gate, workspace: o.workspace, config: o.config, startedBy, unavailable: o.unavailable ?? null });
  registerResources(server, { workspace: o.workspace, config: o.config, registry });
  return { server, registry };
}
