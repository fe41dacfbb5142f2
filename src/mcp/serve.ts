/**
 * `orchestrate mcp`: the server on stdio. stdout carries the protocol and nothing else; notes go
 * to stderr. Runs execute in this process:
 * - the client disconnects (stdin ends): runs in progress go on to their end, then the process
 *   exits; a new client finds them with list_runs;
 * - the process is stopped (SIGTERM, SIGINT): ledgers are written and it exits at once; its runs
 *   read back as `interrupted` and resume where they stopped (orchestrate resume, or VS Code).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Config, Orchestrator } from '../engine';
import type { Provider } from '../providers';
import { createMcpServer } from './server';

export interface ServeOptions {
  orchestrator: Orchestrator;
  workspace: string;
  config: Config;
  allowAgentApproval: boolean;
  simulated: boolean;
  /** Why no run can be planned or started (no API key): plan_task and approve_run answer it. */
  unavailable?: string | undefined;
  err(s: string): void;
}

/** A provider with no key: every request fails with why, and the server says so before any request. */
export function keylessProvider(e: Error): Provider & { unavailable: string } {
  return { model: { create: () => Promise.reject(e) }, simulated: false, unavailable: e.message, dispose: () => Promise.resolve() };
}

/** The package's version (dist/cli.js sits beside package.json's folder), for the server's name card. */
function packageVersionSync(): string {
  try {
    return (JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Serves until the client leaves and every run started here has ended; returns the exit code. */
export async function serveMcp(o: ServeOptions): Promise<number> {
  const { server, registry } = createMcpServer({ ...o, version: packageVersionSync() });
  const closed = new Promise<void>((resolve) => { server.server.onclose = resolve; });
  const stop = (): void => {
    o.err('orchestrate mcp: stopping; runs in progress are left interrupted and can be resumed.');
    void registry.flush().finally(() => process.exit(130));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    const transport = new StdioServerTransport();
    // The SDK's stdio transport does not notice its input ending: that is the client leaving.
    process.stdin.once('end', () => { void transport.close(); });
    await server.connect(transport);
    o.err(`orchestrate mcp: serving ${o.workspace}${o.simulated ? ' (simulated provider: nothing is spent)' : ''}${o.allowAgentApproval ? '; agents may approve runs and apply changes' : ''}`);
    await closed;
    if (registry.busy) o.err('orchestrate mcp: the client left; runs in progress go on until they end.');
    await registry.idle();
    return 0;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
