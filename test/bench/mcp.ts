/**
 * Measure M1: what a calling agent reads through MCP to hand a 30-worker audit to the orchestrator
 * (plan_task, approve_run, run_status long-polls until it ends, run_result), every answer counted,
 * against the tokens of reading the workers' files itself. The real engine and SDK against the
 * fake Messages API, in this process (the measure is tokens, not time), with workers that write
 * realistic 3–6k-token reports; the MCP client and server are the SDK's, linked in memory.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { parseConfig } from '../../src/engine/config';
import { AnthropicModelClient } from '../../src/engine/model/anthropic';
import { Orchestrator } from '../../src/engine/orchestrator';
import { estimateTokens } from '../../src/engine/text';
import type { LedgerSnapshot } from '../../src/engine/types';
import { createMcpServer } from '../../src/mcp/server';
import { MAX_WAIT_SECONDS } from '../../src/mcp/tools';
import { startMessagesServer } from '../../src/simulator/server';
import { makePlan, MIXED_TIERS, TASK } from './fixture';
import { BenchModel } from './model';
import { pct, type MeasureResult } from './result';
import { FANOUT } from './scheduling';

const TARGET = 0.02;

export async function measureMcpContext(workspace: string): Promise<MeasureResult> {
  const model = new BenchModel({ workspace, plan: makePlan({ domains: FANOUT, tier: MIXED_TIERS }), realisticWorkers: true });
  const api = await startMessagesServer({ handler: model.handler });
  // The default caps: the measure is tokens, not time.
  const config = parseConfig({});
  const orchestrator = new Orchestrator({
    workspace, config, simulated: true,
    model: new AnthropicModelClient({ apiKey: 'bench', baseUrl: api.url }), promptsDir: path.join(__dirname, '..', 'prompts'),
  });
  const { server } = createMcpServer({ orchestrator, workspace, config, allowAgentApproval: false, version: 'bench' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'bench-agent', version: '1' }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: { confirm: true } }));
  try {
    await server.connect(serverSide);
    await client.connect(clientSide);
    const read: Array<{ tool: string; tokens: number }> = [];
    const call = async (tool: string, args: Record<string, unknown>): Promise<string> => {
      const r = await client.callTool({ name: tool, arguments: args }, undefined, { timeout: (MAX_WAIT_SECONDS + 30) * 1000 });
      const text = (r.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');
      if (r.isError) throw new Error(`${tool}: ${text}`);
      read.push({ tool, tokens: estimateTokens(text) });
      return text;
    };
    const planned = await call('plan_task', { task: TASK, pattern: 'fan-out' });
    const runId = /Run (\S+) planned/.exec(planned)![1];
    await call('approve_run', { runId });
    let status = '';
    do status = await call('run_status', { runId, waitSeconds: MAX_WAIT_SECONDS });
    while (/: (running|planning) \u00b7/.test(status));
    await call('run_result', { runId });
    const tools = (await client.listTools()).tools;
    const toolTokens = estimateTokens(JSON.stringify(tools));

    const dir = path.join(workspace, config.outputRoot, runId);
    const ledger = JSON.parse(readFileSync(path.join(dir, 'ledger.json'), 'utf8')) as LedgerSnapshot;
    const workers = ledger.agents.filter((a) => a.role === 'worker');
    const files = workers.reduce((n, a) => n + estimateTokens(readFileSync(path.join(dir, a.outputFile), 'utf8')), 0);
    const total = read.reduce((n, r) => n + r.tokens, 0);
    const ratio = files ? total / files : Infinity;
    const byTool = new Map<string, { calls: number; tokens: number }>();
    for (const r of read) {
      const t = byTool.get(r.tool) ?? { calls: 0, tokens: 0 };
      byTool.set(r.tool, { calls: t.calls + 1, tokens: t.tokens + r.tokens });
    }
    return {
      rows: [{
        n: 'M1', measure: "tokens an agent reads through MCP to plan, wait for and read a 30-worker audit ÷ reading the workers' files",
        value: pct(ratio, 2), before: '—', target: `≤ ${pct(TARGET, 0)}`, ok: ledger.status === 'completed' && workers.length === 30 && ratio <= TARGET,
      }],
      raw: [
        `MCP answers read: ${total} tokens over ${read.length} calls (${[...byTool].map(([t, v]) => `${t} ×${v.calls} ${v.tokens}`).join(', ')}); `
          + `run ${ledger.status}, ${workers.length} workers whose files hold ${files} tokens`,
        `the tool definitions, read once per session, are ${toolTokens} more tokens (${pct(files ? (total + toolTokens) / files : Infinity, 2)} with them)`,
      ],
    };
  } finally {
    await client.close().catch(() => undefined);
    await api.close();
  }
}
