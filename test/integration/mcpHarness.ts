/** An MCP client on `orchestrate mcp` over stdio, as Claude Code or VS Code starts it: the built CLI, spawned. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { CLI } from './harness';

export interface McpAnswer { text: string; isError: boolean }

export interface McpSession {
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<McpAnswer>;
  /** Every text the server sent: tool answers, elicitation questions, resources read. */
  seen: string[];
  /** The elicitation questions the user was shown. */
  asked: string[];
  readResource(uri: string): Promise<string>;
  close(): Promise<void>;
}

export interface McpSessionOptions {
  /** Extra CLI arguments after `mcp --workspace <ws>`. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** The user's answer to each question; absent: the client does not support elicitation. */
  answer?: (message: string) => ElicitResult;
  name?: string;
}

/** Spawns `node dist/cli.js mcp --workspace <ws> …` and connects an SDK client to it. */
export async function mcpSession(ws: string, o: McpSessionOptions = {}): Promise<McpSession> {
  const env = Object.fromEntries(Object.entries(o.env ?? process.env).filter((e): e is [string, string] => e[1] !== undefined));
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--workspace', ws, ...(o.args ?? [])], env, stderr: 'pipe' });
  const client = new Client({ name: o.name ?? 'test-client', version: '1.0.0' }, { capabilities: o.answer ? { elicitation: {} } : {} });
  const seen: string[] = [];
  const asked: string[] = [];
  if (o.answer) {
    const answer = o.answer;
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      asked.push(req.params.message);
      seen.push(req.params.message);
      return answer(req.params.message);
    });
  }
  await client.connect(transport);
  return {
    client, seen, asked,
    async call(name, args = {}) {
      const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
      const text = (r.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('\n');
      seen.push(text);
      return { text, isError: r.isError === true };
    },
    async readResource(uri) {
      const r = await client.readResource({ uri });
      const text = r.contents.map((c) => ('text' in c ? c.text : '')).join('\n');
      seen.push(text);
      return text;
    },
    close: () => client.close(),
  };
}

export const yes = (): ElicitResult => ({ action: 'accept', content: { confirm: true } });
export const no = (): ElicitResult => ({ action: 'accept', content: { confirm: false } });

/** The run id a plan_task answer names. */
export function runIdIn(text: string): string {
  const m = /Run (\d{8}-\d{6}-[0-9a-f]{4}) planned/.exec(text);
  if (!m) throw new Error(`no run id in: ${text}`);
  return m[1];
}

/** Sleeps on run_status until the run leaves `running` (each call waits at most the cap). */
export async function waitForEnd(s: McpSession, runId: string): Promise<string> {
  for (;;) {
    const r = await s.call('run_status', { runId, waitSeconds: 50 });
    if (r.isError) throw new Error(r.text);
    if (!/: (running|planning) ·/.test(r.text)) return r.text;
  }
}
