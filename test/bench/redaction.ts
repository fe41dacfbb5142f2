/**
 * Measure R1: what the one redaction (src/engine/redact) costs on large texts, which it meets as
 * a big file read by an agent, a long check log or a long report. Main-thread CPU time, median of
 * several passes, over 1 MB of ordinary source code and over 1 MB with a secret every 5 KB (each
 * one found by secretlint's rules and rewritten).
 */
import { cpuUsage } from 'node:process';
import { redact } from '../../src/engine/redact';
import { fakeAnthropicKey, fakeGithubToken } from '../fixtures/secrets';
import { fixed, type MeasureResult } from './result';

const SIZE = 1_000_000;
const PASSES = 7;
const TARGET_MS = 100;

/** Ordinary TypeScript, without a secret. */
function code(): string {
  const lines = [
    'export async function handler(req: Request, res: Response): Promise<void> {',
    '  const { id } = req.params; // the order to show',
    '  const order = await db.query("select * from orders where id = $1", [id]);',
    '  if (!order) { res.status(404).json({ error: `no order ${id}` }); return; }',
    '  res.json({ ...order, total: order.items.reduce((n, i) => n + i.price * i.qty, 0) });',
    '}',
  ];
  let out = '';
  for (let i = 0; out.length < SIZE; i++) out += `${lines[i % lines.length]}\n`;
  return out;
}

function withSecrets(): { text: string; secrets: number } {
  const base = code().slice(0, 5_000);
  let text = '';
  let secrets = 0;
  for (let i = 0; text.length < SIZE; i++) {
    text += `${base}\nconst k${i} = "${fakeAnthropicKey(String(i))}"; const g${i} = "${fakeGithubToken(String(i))}";\n`;
    secrets += 2;
  }
  return { text, secrets };
}

/** Median CPU ms of `redact(text)`, and what it withheld. */
function timed(text: string): { ms: number; count: number } {
  const times: number[] = [];
  let count = 0;
  for (let i = 0; i < PASSES; i++) {
    const before = cpuUsage();
    count = redact(text).count;
    const d = cpuUsage(before);
    times.push((d.user + d.system) / 1000);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(PASSES / 2)], count };
}

export function measureRedaction(): Promise<MeasureResult> {
  const plain = timed(code());
  const dense = withSecrets();
  const found = timed(dense.text);
  return Promise.resolve({
    rows: [{
      n: 'R1', measure: 'redaction of 1 MB: ordinary code / a secret every 5 KB (CPU, median)',
      value: `${fixed(plain.ms, 1)} ms / ${fixed(found.ms, 1)} ms (${found.count} withheld)`, before: '—',
      target: `< ${TARGET_MS} ms / < ${TARGET_MS * 3} ms, all found`,
      ok: plain.count === 0 && plain.ms < TARGET_MS && found.count === dense.secrets && found.ms < TARGET_MS * 3,
    }],
    raw: [`redaction: 1 MB code ${fixed(plain.ms, 1)} ms CPU; 1 MB with ${dense.secrets} secrets ${fixed(found.ms, 1)} ms CPU, ${found.count} withheld`],
  });
}
