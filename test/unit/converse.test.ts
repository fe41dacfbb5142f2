import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/engine/ledger/ledger';
import type { ContentBlock, ModelRequest, ModelResponse } from '../../src/engine/model/client';
import type { RequestPolicy } from '../../src/engine/model/requests';
import { compactEcho, converse, ECHO_KEEP_CHARS, type ConversationParams } from '../../src/engine/run/converse';
import { toolDefinitions } from '../../src/engine/tools/tools';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

const usage = { input: 10, output: 5, cacheRead: 0, cacheWrite: 0 };
const REPORT = `# Report\n${'- a finding explained at some length.\n'.repeat(400)}\n<!-- DONE -->\n`;

/** A model that writes the report, then answers Done; it keeps every request it was sent. */
function scriptedPolicy(replies: ModelResponse['content'][] = [
  [{ type: 'tool_use', id: 'toolu_1', name: 'write_output', input: { content: REPORT } }],
  [{ type: 'text', text: 'Done. Wrote the report.' }],
]): { policy: RequestPolicy; sent: ModelRequest[] } {
  const sent: ModelRequest[] = [];
  const policy = {
    send: (req: ModelRequest) => {
      sent.push(structuredClone({ ...req, signal: undefined }) as unknown as ModelRequest);
      return Promise.resolve({ model: req.model, content: replies.shift()!, stopReason: 'end_turn', usage });
    },
  } as unknown as RequestPolicy;
  return { policy, sent };
}

const ledger = {
  addUsage: () => undefined, recordTool: () => undefined, redactFor: (_id: string, t: string) => t, countRedactions: () => undefined,
} as unknown as Ledger;

function params(policy: RequestPolicy, over: Partial<ConversationParams> = {}): ConversationParams {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'orch-converse-'));
  dirs.push(ws);
  return {
    agentId: 'a1', model: 'claude-haiku-5-5', cap: 4, system: '# Role: worker\nDo the work.',
    runBlock: `# Workspace overview\n${'src/file.ts 1 KB\n'.repeat(300)}`, sharedBlock: '# Domain a\nThe API.', userBlock: '# Your assignment (a1)\nReview it.',
    tools: toolDefinitions(), toolCtx: { workspace: ws, outputRoot: '.orchestration', ownOutputFile: path.join(ws, '.orchestration', 'a1.md') },
    maxTurns: 5, maxTokens: 1000, requestTimeoutMs: 1000, caching: true, signal: new AbortController().signal,
    policy, ledger, price: () => 0, ...over,
  };
}

const breakpoints = (req: ModelRequest): string[] => [
  ...req.system.filter((b) => b.cache_control).map(() => 'system'),
  ...req.messages.flatMap((m, i) => m.content.flatMap((b, j) => ('cache_control' in b && b.cache_control ? [`${i}.${j}`] : []))),
];

describe('converse: the prompt as the cache sees it', () => {
  it('orders run block, group block, assignment, and marks the first request\'s tail too: four breakpoints, never more', async () => {
    const { policy, sent } = scriptedPolicy();
    await converse(params(policy));
    const [first, second] = sent;
    expect(first.messages[0].content.map((b) => (b as { text: string }).text.split('\n')[0])).toEqual(['# Workspace overview', '# Domain a', '# Your assignment (a1)']);
    expect(breakpoints(first)).toEqual(['system', '0.0', '0.1', '0.2']);
    expect(breakpoints(second)).toEqual(['system', '0.0', '0.1', '2.0']);
    // Only the first request shares its prefix with other agents.
    expect(first.sharedPrefix).toMatch(/^[0-9a-f]{64}$/);
    expect(second.sharedPrefix).toBeUndefined();
  });

  it('names no shared prefix when it is too short to be cached, or caching is off; a single request without tools gets no tail breakpoint', async () => {
    const short = scriptedPolicy([[{ type: 'text', text: 'The answer.' }]]);
    await converse(params(short.policy, { runBlock: 'tiny', tools: [], toolCtx: null }));
    expect(short.sent[0].sharedPrefix).toBeUndefined();
    expect(breakpoints(short.sent[0])).toEqual(['system', '0.0', '0.1']);
    const off = scriptedPolicy();
    await converse(params(off.policy, { caching: false }));
    expect(off.sent.every((r) => r.sharedPrefix === undefined && breakpoints(r).length === 0)).toBe(true);
  });

  it('sends the written report back cut to its head, while the file holds all of it', async () => {
    const { policy, sent } = scriptedPolicy();
    const p = params(policy);
    await converse(p);
    expect(readFileSync(p.toolCtx!.ownOutputFile, 'utf8')).toBe(REPORT);
    const echoed = sent[1].messages[1].content[0] as Extract<ContentBlock, { type: 'tool_use' }>;
    const content = (echoed.input as { content: string }).content;
    expect(content.startsWith(REPORT.slice(0, ECHO_KEEP_CHARS))).toBe(true);
    expect(content.length).toBeLessThan(ECHO_KEEP_CHARS + 200);
  });

  it('leaves other tool calls and short reports as they were', () => {
    const read: ContentBlock = { type: 'tool_use', id: 't', name: 'read_file', input: { path: 'x'.repeat(5000) } };
    const short: ContentBlock = { type: 'tool_use', id: 't', name: 'write_output', input: { content: 'short\n<!-- DONE -->' } };
    expect(compactEcho(read)).toBe(read);
    expect(compactEcho(short)).toBe(short);
  });
});
