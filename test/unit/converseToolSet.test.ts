import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Ledger } from '../../src/engine/ledger/ledger';
import type { ContentBlock, ModelRequest, ModelResponse } from '../../src/engine/model/client';
import type { RequestPolicy } from '../../src/engine/model/requests';
import { converse, type ConversationParams, type ToolResultBlock } from '../../src/engine/run/converse';
import { defineTool, ToolSet } from '../../src/engine/tools/toolSet';

type End = { kind: 'finished'; summary: string } | { kind: 'waiting'; for: string[] };
interface Ctx { notes: string[] }

const NoteInput = z.object({ text: z.string().min(3) }).strict();
const TOOLS = new ToolSet<Ctx, End>([
  defineTool<typeof NoteInput, Ctx, End>({
    name: 'note', description: 'Keep a note.', schema: NoteInput,
    handle: (input, ctx) => { ctx.notes.push(input.text); return `noted ${ctx.notes.length}`; },
  }),
  defineTool<z.ZodObject<{ summary: z.ZodString }>, Ctx, End>({
    name: 'finish', description: 'End with the summary.', schema: z.object({ summary: z.string() }),
    handle: (input) => ({ end: { kind: 'finished', summary: input.summary }, note: 'finished' }),
  }),
  defineTool<z.ZodObject<{ workers: z.ZodArray<z.ZodString> }>, Ctx, End>({
    name: 'wait_for', description: 'Start workers and sleep until they return.', schema: z.object({ workers: z.array(z.string()) }),
    handle: (input) => ({ end: { kind: 'waiting', for: input.workers }, note: `waiting for ${input.workers.join(', ')}` }),
  }),
  defineTool<z.ZodObject<Record<string, never>>, Ctx, End>({
    name: 'broken', description: 'Always throws.', schema: z.object({}),
    handle: () => { throw new Error('disk on fire'); },
  }),
]);

const usage = { input: 10, output: 5, cacheRead: 0, cacheWrite: 0 };
const use = (id: string, name: string, input: unknown): Extract<ContentBlock, { type: 'tool_use' }> => ({ type: 'tool_use', id, name, input });

/** A model that answers with the scripted replies in turn; it keeps every request it was sent. */
function scripted(replies: ModelResponse['content'][]): { policy: RequestPolicy; sent: ModelRequest[] } {
  const sent: ModelRequest[] = [];
  const policy = {
    send: (req: ModelRequest) => {
      sent.push(structuredClone({ ...req, signal: undefined }) as unknown as ModelRequest);
      const content = replies.shift();
      if (!content) throw new Error('the script has no more replies');
      return Promise.resolve({ model: req.model, content, stopReason: 'tool_use', usage });
    },
  } as unknown as RequestPolicy;
  return { policy, sent };
}

/** A ledger that keeps the tool calls it is told of. */
function fakeLedger(): { ledger: Ledger; tools: Array<[string, boolean, string | undefined]> } {
  const tools: Array<[string, boolean, string | undefined]> = [];
  const ledger = {
    addUsage: () => undefined, redactFor: (_id: string, t: string) => t, countRedactions: () => undefined,
    recordTool: (_id: string, name: string, ok: boolean, error?: string) => { tools.push([name, ok, error]); },
  } as unknown as Ledger;
  return { ledger, tools };
}

function params(policy: RequestPolicy, ledger: Ledger, ctx: Ctx, over: Partial<ConversationParams<End>> = {}): ConversationParams<End> {
  return {
    agentId: 'sup-1', model: 'claude-sonnet-5-5', cap: 4, system: '# Role: supervisor', userBlock: 'Survey src/ and follow the leads.',
    tools: TOOLS.bind(ctx), maxTurns: 4, maxTokens: 1000, requestTimeoutMs: 1000, caching: true, signal: new AbortController().signal,
    policy, ledger, price: () => 0, ...over,
  };
}

const results = (req: ModelRequest): ToolResultBlock[] =>
  req.messages[req.messages.length - 1].content.filter((b): b is ToolResultBlock => b.type === 'tool_result');
const breakpoints = (req: ModelRequest): number =>
  req.system.filter((b) => b.cache_control).length + req.messages.flatMap((m) => m.content).filter((b) => 'cache_control' in b && b.cache_control).length;

describe('converse with a role\'s tool set', () => {
  it('stops when a tool ends the agent: the value comes back, earlier calls are answered, later ones are not run, and nothing more is sent', async () => {
    const { policy, sent } = scripted([[
      { type: 'text', text: 'Noting, then done.' },
      use('t1', 'note', { text: 'auth is thin' }), use('t2', 'finish', { summary: 'All read.' }), use('t3', 'note', { text: 'too late' }),
    ]]);
    const { ledger, tools } = fakeLedger();
    const ctx: Ctx = { notes: [] };
    const r = await converse(params(policy, ledger, ctx));
    expect(sent).toHaveLength(1);
    expect(r.ended?.value).toEqual({ kind: 'finished', summary: 'All read.' });
    expect(r.ended?.toolUseId).toBe('t2');
    expect(r.text).toBe('Noting, then done.');
    expect(ctx.notes).toEqual(['auth is thin']);
    expect(r.ended?.results).toEqual([
      { type: 'tool_result', tool_use_id: 't1', content: 'noted 1' },
      { type: 'tool_result', tool_use_id: 't3', content: 'not run: the round had already ended with finish', is_error: true },
    ]);
    expect(r.ended?.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(tools).toEqual([['note', true, undefined], ['finish', true, undefined]]);
    expect(sent[0].toolChoice).toEqual({ type: 'auto' });
    expect(sent[0].tools?.map((t) => t.name)).toEqual(['note', 'finish', 'wait_for', 'broken']);
  });

  it('suspends on a tool and resumes later with its result: the conversation goes on where it stopped, with the same cache breakpoints', async () => {
    const first = scripted([[use('w', 'wait_for', { workers: ['w1', 'w2'] })]]);
    const ctx: Ctx = { notes: [] };
    const suspended = await converse(params(first.policy, fakeLedger().ledger, ctx));
    expect(first.sent).toHaveLength(1);
    expect(suspended.ended?.value).toEqual({ kind: 'waiting', for: ['w1', 'w2'] });
    const ended = suspended.ended!;

    // The workers ran meanwhile; a later attempt wakes the agent with their returns as the call's result.
    const second = scripted([[use('f', 'finish', { summary: 'w1 and w2 found the leak.' })]]);
    const resumed = await converse(params(second.policy, fakeLedger().ledger, ctx, {
      userBlock: '',
      resume: { history: ended.messages, results: [...ended.results, { type: 'tool_result', tool_use_id: ended.toolUseId, content: '- w1: Done.\n- w2: Done.' }] },
    }));
    expect(resumed.ended?.value).toEqual({ kind: 'finished', summary: 'w1 and w2 found the leak.' });
    const req = second.sent[0];
    expect(req.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(req.messages[0]).toEqual({ role: 'user', content: [{ type: 'text', text: 'Survey src/ and follow the leads.' }] });
    expect(req.messages[1].content).toEqual([use('w', 'wait_for', { workers: ['w1', 'w2'] })]);
    expect(results(req)).toEqual([{ type: 'tool_result', tool_use_id: 'w', content: '- w1: Done.\n- w2: Done.', cache_control: { type: 'ephemeral' } }]);
    // System and the rolling tail: the resumed request shares no prefix with other agents.
    expect(breakpoints(req)).toBe(2);
    expect(req.sharedPrefix).toBeUndefined();
    expect(resumed.ended?.messages[0]).toEqual({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'w', content: '- w1: Done.\n- w2: Done.' }] });
  });

  it('answers an unknown tool, input its zod schema refuses, and a handler that throws as error results, and goes on', async () => {
    const { policy, sent } = scripted([
      [use('u', 'delete_everything', {}), use('i', 'note', { text: 1 }), use('b', 'broken', {})],
      [use('ok', 'note', { text: 'valid now' })],
      [{ type: 'text', text: 'Done.' }],
    ]);
    const { ledger, tools } = fakeLedger();
    const ctx: Ctx = { notes: [] };
    const r = await converse(params(policy, ledger, ctx));
    expect(r).toMatchObject({ text: 'Done.' });
    expect(r.ended).toBeUndefined();
    const answered = results(sent[1]);
    expect(answered.map((b) => [b.tool_use_id, b.is_error])).toEqual([['u', true], ['i', true], ['b', true]]);
    expect(answered[0].content).toBe('delete_everything: expected one of note, finish, wait_for, broken, got unknown tool "delete_everything"');
    expect(answered[1].content).toMatch(/^note: expected \{text: string\}, got \{"text":1\} \(text: expected string, received number\)$/);
    expect(answered[2].content).toBe('broken: disk on fire');
    expect(ctx.notes).toEqual(['valid now']);
    expect(tools.map(([name, ok]) => [name, ok])).toEqual([['delete_everything', false], ['note', false], ['broken', false], ['note', true]]);
  });

  it('with a nudge, a reply without a tool call is answered and the agent asked again; the turn limit ends it with the given message', async () => {
    const { policy, sent } = scripted([[{ type: 'text', text: 'Thinking aloud.' }], [{ type: 'text', text: 'Still thinking.' }]]);
    const p = params(policy, fakeLedger().ledger, { notes: [] }, {
      maxTurns: 2, toolChoice: 'any', nudge: 'Reply by calling a tool.', turnLimitMessage: 'turn limit of 2 reached in round 1',
    });
    await expect(converse(p)).rejects.toThrow('turn limit of 2 reached in round 1');
    expect(sent).toHaveLength(2);
    expect(sent[0].toolChoice).toEqual({ type: 'any' });
    expect(sent[1].messages.slice(1).map((m) => [m.role, m.content[0].type === 'text' ? m.content[0].text : m.content[0].type])).toEqual([
      ['assistant', 'Thinking aloud.'], ['user', 'Reply by calling a tool.'],
    ]);
  });

  it('reports each response\'s prompt tokens as it comes, and the first and last in the result', async () => {
    const { policy } = scripted([[use('t1', 'note', { text: 'one' })], [use('f', 'finish', { summary: 'ok' })]]);
    const seen: Array<[number, number]> = [];
    const r = await converse(params(policy, fakeLedger().ledger, { notes: [] }, { onResponse: (turn, tokens) => seen.push([turn, tokens]) }));
    expect(seen).toEqual([[1, 10], [2, 10]]);
    expect(r).toMatchObject({ firstPromptTokens: 10, lastPromptTokens: 10 });
  });
});

describe('ToolSet', () => {
  it('hands out fresh, identical definitions, so marking one never changes the next copy', () => {
    const a = TOOLS.definitions();
    (a[0] as unknown as Record<string, unknown>).cache_control = { type: 'ephemeral' };
    expect(TOOLS.definitions()).toEqual(TOOLS.tools.map((t) => t.definition));
    expect(JSON.stringify(TOOLS.definitions())).toBe(JSON.stringify(TOOLS.definitions()));
  });
});
