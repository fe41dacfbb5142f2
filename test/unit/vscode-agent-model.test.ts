import { describe, expect, it, vi } from 'vitest';
import type { TranscriptEntry } from '../../src/engine';
import { AgentHeaderSchema, EntryViewSchema, type EntryView } from '../../src/shared/agentProtocol';
import { agentHeader, appendShown, entryKey, entryView, mergeLive, TOOL_INPUT_LIMIT } from '../../src/vscode/panels/agent/agentModel';
import { EntryBatcher, type BatchTimers } from '../../src/vscode/panels/agent/transcriptBatch';
import { agent, snapshot } from './vscode/fixtures';

const t = '2025-06-01T12:00:00.000Z';
const delta = (text: string, attempt = 1): TranscriptEntry => ({ t, attempt, type: 'text_delta', text });
const ENTRIES: TranscriptEntry[] = [
  { t, attempt: 1, type: 'attempt', model: 'claude-haiku-5-5', systemHash: 'abc', sharedHash: null, prompt: 'Find handlers', promptBytes: 900, instruction: null },
  { t, attempt: 1, type: 'request', turn: 1, model: 'claude-haiku-5-5' },
  { t, attempt: 1, type: 'text', text: 'Looking at **src/server**.' },
  { t, attempt: 1, type: 'tool_call', id: 'tu_1', name: 'read_file', input: { path: 'src/server/app.ts', start_line: 1 } },
  { t, attempt: 1, type: 'tool_result', id: 'tu_1', ok: true, excerpt: 'import express', bytes: 4000 },
  { t, attempt: 1, type: 'usage', usage: { input: 100, output: 20, cacheRead: 0, cacheWrite: 0 }, costUsd: 0.001, stopReason: 'tool_use', modelReported: 'claude-haiku-5-5' },
  { t, attempt: 1, type: 'error', message: 'overloaded', transient: true },
  { t, attempt: 1, type: 'retry', n: 1, waitMs: 1200, reason: 'overloaded' },
  { t, attempt: 2, type: 'ask', question: 'Which route is worst?' },
  { t, attempt: 2, type: 'answer', text: 'The /admin route.', file: 'asks/a1-1.md' },
  { t, attempt: 2, type: 'truncated', droppedBytes: 5000, droppedEntries: 12 },
];

describe('transcript entries as the agent view shows them', () => {
  it('maps every entry type to a valid view entry, tool input as indented JSON', () => {
    for (const e of ENTRIES) expect(EntryViewSchema.safeParse(entryView(e)).success, e.type).toBe(true);
    const call = entryView(ENTRIES[3]);
    expect(call).toMatchObject({ type: 'tool_call', name: 'read_file', input: '{\n  "path": "src/server/app.ts",\n  "start_line": 1\n}' });
    expect(entryView(ENTRIES[5])).toMatchObject({ type: 'usage', model: 'claude-haiku-5-5', stopReason: 'tool_use' });
    expect(entryView({ t, attempt: 1, type: 'error', message: 'x' })).toMatchObject({ transient: false });
  });

  it('bounds a huge tool input', () => {
    const v = entryView({ t, attempt: 1, type: 'tool_call', id: 'x', name: 'write_output', input: { content: 'y'.repeat(50_000) } });
    expect(v.type === 'tool_call' && v.input.length).toBeLessThan(TOOL_INPUT_LIMIT + 100);
  });

  it('recognises an entry read back from the file whatever order its keys come in', () => {
    const live: TranscriptEntry = { t, attempt: 1, type: 'tool_result', id: 'tu_1', ok: true, excerpt: 'x', bytes: 1 };
    const fromFile = JSON.parse('{"bytes":1,"excerpt":"x","ok":true,"id":"tu_1","type":"tool_result","attempt":1,"t":"2025-06-01T12:00:00.000Z"}') as TranscriptEntry;
    expect(entryKey(fromFile)).toBe(entryKey(live));
    expect(entryKey({ ...live, bytes: 2 })).not.toBe(entryKey(live));
  });

  it('keeps what it shows compact: deltas joined, and replaced by the whole text once it comes', () => {
    const shown: EntryView[] = [];
    appendShown(shown, entryView(ENTRIES[1]));
    for (const d of ['Loo', 'king', ' at']) appendShown(shown, entryView(delta(d)));
    expect(shown.map((e) => e.type)).toEqual(['request', 'text_delta']);
    expect(shown[1]).toMatchObject({ text: 'Looking at' });
    appendShown(shown, entryView(ENTRIES[2]));
    expect(shown.map((e) => e.type)).toEqual(['request', 'text']);
  });

  it('joins the file with what streamed while it was read: no entry twice, nothing lost', () => {
    const fileKeys = new Set(ENTRIES.slice(0, 3).map(entryKey));
    // Deltas of text the file has whole, the text itself, then new entries.
    const live = [delta('Looking'), ENTRIES[2], ENTRIES[3], delta('more')];
    expect(mergeLive(fileKeys, live)).toEqual([ENTRIES[3], delta('more')]);
    expect(mergeLive(new Set(), live)).toEqual(live);
  });
});

describe('the agent header', () => {
  it('offers Stop while it works, Rerun and Ask once the run finished', () => {
    const running = agentHeader(snapshot(), agent({ id: 'a2', status: 'running', endedAt: null }), { executingHere: true, following: false, written: false });
    expect(AgentHeaderSchema.parse(running)).toEqual(running);
    expect(running.actions).toEqual({ stop: true, rerun: false, ask: false, openOutput: false });
    expect(running.live).toBe(true);
    expect(running.group).toBe('Domain a');
    const done = agentHeader(snapshot({ status: 'partial' }), agent(), { executingHere: false, following: false, written: true });
    expect(done.actions).toEqual({ stop: false, rerun: true, ask: true, openOutput: true });
  });

  it('does not offer Rerun or Ask while another process runs the run, and never on a pending agent', () => {
    const s = snapshot({ status: 'running' });
    expect(agentHeader(s, agent(), { executingHere: false, following: true, written: true }).actions).toMatchObject({ rerun: false, ask: false });
    expect(agentHeader(snapshot({ status: 'completed' }), agent({ status: 'pending' }), { executingHere: false, following: false, written: false }).actions)
      .toEqual({ stop: false, rerun: false, ask: false, openOutput: false });
  });
});

/** Timers the test advances by hand. */
function manualTimers() {
  const pending: Array<{ fn: () => void; at: number }> = [];
  let now = 0;
  const timers: BatchTimers = {
    set: (fn, ms) => { const h = { fn, at: now + ms }; pending.push(h); return h; },
    clear: (h) => { const i = pending.indexOf(h as (typeof pending)[number]); if (i >= 0) pending.splice(i, 1); },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const h of pending.filter((x) => x.at <= now)) { pending.splice(pending.indexOf(h), 1); h.fn(); }
  };
  return { timers, advance };
}

describe('EntryBatcher', () => {
  it('posts at most once per interval, with a stream of deltas merged into one entry', () => {
    const { timers, advance } = manualTimers();
    const post = vi.fn();
    const b = new EntryBatcher(post, 50, timers);
    for (let i = 0; i < 100; i++) b.push(entryView(delta(`t${i} `)));
    expect(post).not.toHaveBeenCalled();
    advance(50);
    expect(post).toHaveBeenCalledTimes(1);
    const [batch] = post.mock.calls[0] as [EntryView[]];
    expect(batch).toHaveLength(1);
    expect(batch[0]).toMatchObject({ type: 'text_delta', text: expect.stringMatching(/^t0 t1 .* t99 $/) as string });
    expect(b.stats).toMatchObject({ entries: 100, posts: 1, deltasMerged: 99 });
  });

  it('keeps entries in order and only merges deltas of the same attempt that follow each other', () => {
    const { timers, advance } = manualTimers();
    const post = vi.fn();
    const b = new EntryBatcher(post, 50, timers);
    b.push(entryView(delta('a', 1)));
    b.push(entryView(ENTRIES[3]));
    b.push(entryView(delta('b', 1)));
    b.push(entryView(delta('c', 2)));
    advance(50);
    expect((post.mock.calls[0] as [EntryView[]])[0].map((e) => e.type)).toEqual(['text_delta', 'tool_call', 'text_delta', 'text_delta']);
  });

  it('sends a long burst at once, and nothing after clear or dispose', () => {
    const { timers, advance } = manualTimers();
    const post = vi.fn();
    const b = new EntryBatcher(post, 50, timers);
    for (let i = 0; i < 200; i++) b.push(entryView(ENTRIES[1]));
    expect(post).toHaveBeenCalledTimes(1);
    b.push(entryView(ENTRIES[1]));
    b.clear();
    advance(100);
    expect(post).toHaveBeenCalledTimes(1);
    b.dispose();
    b.push(entryView(ENTRIES[1]));
    advance(100);
    expect(post).toHaveBeenCalledTimes(1);
  });
});
