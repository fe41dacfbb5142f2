/**
 * Each run's summary.md, plan.md and ledger as MCP resources: `orchestration://<runId>/summary.md`,
 * `…/plan.md`, `…/ledger`. A client (or its user) attaches them by choice; the tools' answers stay short.
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { checkedRunDir, redactText, scanRuns, SUMMARY_FILE, type Config } from '../engine';
import { ToolError } from './errors';
import type { RunRegistry } from './registry';
import { readInside } from './tools';

/** Newest runs listed as resources (older ones can still be read by URI). */
const LISTED_RUNS = 20;

const FILES = [
  { name: 'summary', file: SUMMARY_FILE, leaf: 'summary.md', mimeType: 'text/markdown', title: 'summary' },
  { name: 'plan', file: 'plan.md', leaf: 'plan.md', mimeType: 'text/markdown', title: 'plan' },
  { name: 'ledger', file: 'ledger.json', leaf: 'ledger', mimeType: 'application/json', title: 'ledger' },
] as const;

export function registerResources(server: McpServer, d: { workspace: string; config: Config; registry: RunRegistry }): void {
  for (const f of FILES) {
    const template = new ResourceTemplate(`orchestration://{runId}/${f.leaf}`, {
      list: async () => {
        const { runs } = await scanRuns(d.workspace, d.config.outputRoot);
        return {
          resources: runs.slice(0, LISTED_RUNS).map((r) => ({
            uri: `orchestration://${r.runId}/${f.leaf}`, name: `${r.runId} ${f.title}`, mimeType: f.mimeType,
          })),
        };
      },
    });
    server.registerResource(f.name, template, { title: `A run's ${f.title}`, mimeType: f.mimeType }, async (uri, vars) => {
      const id = d.registry.checkId(String(vars.runId));
      const dir = await checkedRunDir(d.workspace, d.config.outputRoot, id);
      const live = f.name === 'ledger' ? d.registry.live(id) : undefined;
      const text = live ? JSON.stringify(live.ledger.snapshot(), null, 2) : await readInside(dir, f.file);
      if (text === null) throw new ToolError(`Run ${id} has no ${f.file} (yet). Call run_status to see where it stands.`);
      return { contents: [{ uri: uri.href, mimeType: f.mimeType, text: redactText(text) }] };
    });
  }
}
