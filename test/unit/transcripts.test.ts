import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatTranscript, parseTranscript, readTranscript, transcriptFile, TranscriptEntrySchema, Transcripts,
  type TranscriptEvent,
} from '../../src/engine/transcripts';
import { fakeAnthropicKey, fakeAwsKeyId, fakeGithubToken, fakePrivateKey } from '../fixtures/secrets';

const runDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'orch-tr-'));
const lines = (file: string): unknown[] => readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
const start = { model: 'claude-haiku-5-5', system: '# Role: worker\nYou read files.', shared: 'The run task, shared by the domain.', prompt: 'Review src/a.js', instruction: null };

describe('transcript format', () => {
  it('writes one valid entry a line, with prompts stored once by hash', async () => {
    const dir = runDir();
    const t = new Transcripts(dir, { maxBytes: 1_000_000 });
    const a1 = t.agent('a1');
    expect(a1.begin(start)).toBe(1);
    a1.request(1, 'claude-haiku-5-5');
    a1.text('Looking at src/a.js.');
    a1.toolCall('tu1', 'read_file', { path: 'src/a.js' });
    a1.toolResult('tu1', true, '1| const a = 1;');
    a1.usage({ input: 10, output: 5, cacheRead: 0, cacheWrite: 0 }, 0.0001, 'tool_use', 'claude-haiku-5-5');
    a1.retry(1, 250, '429 rate_limit_error: slow down');
    a1.error('request aborted', false);
    a1.write({ type: 'ask', question: 'Why?' });
    a1.write({ type: 'answer', text: 'Because.', file: 'asks/a1-1.md' });
    t.agent('b1').begin({ ...start, prompt: 'Review src/b.js' });
    await t.flush(true);

    const entries = lines(transcriptFile(dir, 'a1'));
    expect(entries.map((e) => (e as { type: string }).type)).toEqual(['attempt', 'request', 'text', 'tool_call', 'tool_result', 'usage', 'retry', 'error', 'ask', 'answer']);
    for (const e of entries) expect(TranscriptEntrySchema.safeParse(e).success).toBe(true);
    const first = entries[0] as { systemHash: string; sharedHash: string; attempt: number; prompt: string };
    expect(first).toMatchObject({ attempt: 1, prompt: 'Review src/a.js', instruction: null });
    // The shared prefix is a reference, not repeated: both agents name the same stored prompt.
    expect(readFileSync(path.join(dir, 'transcripts/prompts', `${first.sharedHash}.md`), 'utf8')).toBe(start.shared);
    expect(readFileSync(transcriptFile(dir, 'a1'), 'utf8')).not.toContain(start.shared);
    expect((lines(transcriptFile(dir, 'b1'))[0] as { sharedHash: string }).sharedHash).toBe(first.sharedHash);

    const read = await readTranscript(dir, 'a1');
    expect(read.problem).toBeNull();
    expect(read.entries).toHaveLength(10);
    const text = formatTranscript(read.entries);
    for (const s of ['attempt 1', 'request 1', 'read_file {"path":"src/a.js"}', 'retry 1 in 250 ms', 'question: Why?', 'asks/a1-1.md']) expect(text).toContain(s);
  });

  it('continues the attempt count of a transcript an earlier process left', async () => {
    const dir = runDir();
    const first = new Transcripts(dir, { maxBytes: 1_000_000 });
    first.agent('a1').begin(start);
    first.agent('a1').begin(start);
    await first.flush(true);
    const second = new Transcripts(dir, { maxBytes: 1_000_000 });
    expect(second.agent('a1').begin(start)).toBe(3);
    await second.flush(true);
    expect((await readTranscript(dir, 'a1')).entries.map((e) => e.attempt)).toEqual([1, 2, 3]);
  });

  it('hands text deltas to listeners only, and writes the whole text once', async () => {
    const dir = runDir();
    const t = new Transcripts(dir, { maxBytes: 1_000_000 });
    const a1 = t.agent('a1');
    a1.delta('nobody is listening');
    const seen: TranscriptEvent[] = [];
    const sub = t.onDidWrite((e) => seen.push(e));
    a1.begin(start);
    a1.delta('Hel');
    a1.delta('lo');
    a1.text('Hello');
    sub.dispose();
    a1.delta('after dispose');
    await t.flush(true);
    expect(seen.map((e) => `${e.agentId}:${e.entry.type}`)).toEqual(['a1:attempt', 'a1:text_delta', 'a1:text_delta', 'a1:text']);
    const file = readFileSync(transcriptFile(dir, 'a1'), 'utf8');
    expect(file).not.toContain('text_delta');
    expect(file).not.toContain('nobody is listening');
  });

  it("appends one agent's buffered lines when asked, without waiting for the timer or writing the others'", async () => {
    const dir = runDir();
    const t = new Transcripts(dir, { maxBytes: 1_000_000, flushMs: 3_600_000 });
    const a1 = t.agent('a1');
    a1.begin(start);
    a1.text('first');
    t.agent('b1').begin({ ...start, prompt: 'Review src/b.js' });
    await a1.flush();
    expect(lines(transcriptFile(dir, 'a1')).map((e) => (e as { type: string }).type)).toEqual(['attempt', 'text']);
    expect(() => statSync(transcriptFile(dir, 'b1'))).toThrow();
    a1.text('second');
    await a1.flush();
    await a1.flush();
    expect(lines(transcriptFile(dir, 'a1')).map((e) => (e as { text?: string }).text ?? null)).toEqual([null, 'first', 'second']);
    await t.flush(true);
    expect(lines(transcriptFile(dir, 'b1'))).toHaveLength(1);
    expect(lines(transcriptFile(dir, 'a1'))).toHaveLength(3);
    t.dispose();
  });

  it('refuses agent ids that could leave the transcripts folder', () => {
    expect(() => transcriptFile('/r', '../ledger')).toThrow(/not an agent id/);
    expect(() => transcriptFile('/r', 'a/b')).toThrow(/not an agent id/);
  });
});

describe('transcript bounds', () => {
  it('cuts a huge tool result to an excerpt and keeps its size', async () => {
    const dir = runDir();
    const t = new Transcripts(dir, { maxBytes: 1_000_000 });
    const a1 = t.agent('a1');
    a1.begin(start);
    a1.toolCall('tu1', 'write_output', { content: 'x'.repeat(500_000) });
    a1.toolResult('tu1', true, 'y'.repeat(2_000_000));
    await t.flush(true);
    expect(statSync(transcriptFile(dir, 'a1')).size).toBeLessThan(10_000);
    const [, call, result] = (await readTranscript(dir, 'a1')).entries;
    expect(call.type === 'tool_call' && JSON.stringify(call.input)).toMatch(/cut: 498000 more characters/);
    expect(result).toMatchObject({ type: 'tool_result', bytes: 2_000_000 });
  });

  it('stays under transcriptMaxBytes over many turns and says what it left out', async () => {
    const dir = runDir();
    const max = 20_000;
    const t = new Transcripts(dir, { maxBytes: max, flushMs: 5 });
    const a1 = t.agent('a1');
    a1.begin(start);
    for (let turn = 1; turn <= 200; turn++) {
      a1.request(turn, 'claude-haiku-5-5');
      a1.text(`turn ${turn}: ${'z'.repeat(400)}`);
      if (turn % 50 === 0) await new Promise((r) => setTimeout(r, 10)); // timer flushes happen between turns
    }
    await t.flush(true);
    const file = transcriptFile(dir, 'a1');
    expect(statSync(file).size).toBeLessThanOrEqual(max);
    const { entries, problem } = await readTranscript(dir, 'a1');
    expect(problem).toBeNull();
    const truncated = entries.filter((e) => e.type === 'truncated');
    expect(truncated.length).toBeGreaterThanOrEqual(1);
    const last = truncated[truncated.length - 1];
    const kept = entries.filter((e) => e.type === 'text' || e.type === 'request').length;
    expect(last).toMatchObject({ type: 'truncated', droppedEntries: 400 - kept });
    // What is kept is the start of the attempt, without gaps: the last turn kept is followed by nothing but the notes.
    expect(entries.slice(entries.findIndex((e) => e.type === 'truncated')).every((e) => e.type === 'truncated')).toBe(true);
    expect(last.type === 'truncated' && last.droppedBytes).toBeGreaterThan(80_000);
  });
});

describe('transcript redaction', () => {
  const key = fakeAnthropicKey('transcript');

  it('never writes anything shaped like an Anthropic key, nor a secret the host names', async () => {
    const dir = runDir();
    const t = new Transcripts(dir, { maxBytes: 1_000_000, secrets: ['the-host-held-secret-value'] });
    const a1 = t.agent('a1');
    a1.begin({ ...start, prompt: `use ${key}`, system: `system with ${key}` });
    a1.toolResult('tu1', true, `1| const KEY = "${key}";\n2| const other = "the-host-held-secret-value";`);
    a1.text(`I found ${key} in the file`);
    a1.toolCall('tu2', 'search', { pattern: key });
    a1.error(`401 authentication_error: invalid x-api-key ${key}`);
    await t.flush(true);
    const transcript = readFileSync(transcriptFile(dir, 'a1'), 'utf8');
    const systemHash = (lines(transcriptFile(dir, 'a1'))[0] as { systemHash: string }).systemHash;
    const all = `${transcript}\n${readFileSync(path.join(dir, 'transcripts/prompts', `${systemHash}.md`), 'utf8')}`;
    expect(all).not.toContain(key.slice(20, 60));
    expect(all).not.toContain('the-host-held-secret-value');
    expect(all).toContain('[redacted:anthropic]');
    expect(all).toContain('[redacted:secret]');
  });

  it('redacts a private key block and other credential shapes, each string as it was written', async () => {
    const dir = runDir();
    const t = new Transcripts(dir, { maxBytes: 1_000_000 });
    t.agent('a1').toolResult('tu1', true, `a ${fakePrivateKey()} b ${fakeAwsKeyId()} and ${fakeGithubToken()}`);
    await t.flush(true);
    const entry = lines(transcriptFile(dir, 'a1'))[0] as { excerpt: string };
    expect(entry.excerpt).toBe('a [redacted:privatekey] b [redacted:aws] and [redacted:github]');
  });
});

describe('reading a damaged transcript', () => {
  it('returns every readable entry and names the unreadable lines', async () => {
    const dir = runDir();
    const t = new Transcripts(dir, { maxBytes: 1_000_000 });
    t.agent('a1').begin(start);
    t.agent('a1').text('first reply');
    await t.flush(true);
    const file = transcriptFile(dir, 'a1');
    appendFileSync(file, 'not json at all\n');
    appendFileSync(file, '{"t":"x","attempt":1,"type":"mystery"}\n');
    appendFileSync(file, `${JSON.stringify({ t: 'x', attempt: 1, type: 'text', text: 'after the damage' })}\n`);
    appendFileSync(file, '{"t":"2026-12-02T10:00:00.000Z","attempt":1,"type":"text","te'); // kill -9 mid-write
    const { entries, problem } = await readTranscript(dir, 'a1');
    expect(entries.map((e) => e.type)).toEqual(['attempt', 'text', 'text']);
    expect(problem).toMatch(/3 unreadable lines/);
    expect(problem).toMatch(/line 3 \(bytes \d+–\d+\) is not valid JSON/);
    expect(problem).toMatch(/line 4 .* is not a transcript entry/);
    expect(problem).toMatch(/line 6 .* is cut off/);
    // A writer opening it again continues after it, at the next attempt.
    const again = new Transcripts(dir, { maxBytes: 1_000_000 });
    expect(again.agent('a1').begin(start)).toBe(2);
  });

  it('a missing transcript is no entries and no problem; a folder in its place is a problem, not a throw', async () => {
    const dir = runDir();
    expect(await readTranscript(dir, 'nobody')).toEqual({ entries: [], problem: null });
    mkdirSync(transcriptFile(dir, 'odd'), { recursive: true });
    const r = await readTranscript(dir, 'odd');
    expect(r.entries).toEqual([]);
    expect(r.problem).toMatch(/could not be read/);
    writeFileSync(path.join(dir, 'x'), '');
    expect(parseTranscript('').problem).toBeNull();
  });
});
