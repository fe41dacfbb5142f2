import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { lintSource } from '@secretlint/core';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';
import { describe, expect, it } from 'vitest';
import { addSecrets, marker, redact, redactDeep, redactText, ruleNames, scanSecrets } from '../../src/engine/redact';
import { fakeAnthropicKey, fakeAwsKeyId, fakeAwsSecret, fakeGithubToken, fakePrivateKey } from '../fixtures/secrets';

const ROOT = path.resolve(__dirname, '../..');

/** Text that holds one of each shape, as a committed config file would. */
function corpus(): string {
  return [
    `const anthropic = "${fakeAnthropicKey()}";`,
    `aws_access_key_id = ${fakeAwsKeyId()}`,
    `aws_secret_access_key = ${fakeAwsSecret()}`,
    `GITHUB_TOKEN=${fakeGithubToken()}`,
    fakePrivateKey(),
    'DATABASE_URL=postgres://deploy:Tr0ub4dor-and-3@db.internal.example.net:5432/shop',
    'webhook: https://hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx',
    'plain text that holds nothing secret',
  ].join('\n');
}

describe('redact', () => {
  it('runs the maintained rule set: secretlint\'s recommended preset, Anthropic included, secretlint-disable left out', () => {
    expect(ruleNames()).toEqual(expect.arrayContaining(['aws', 'gcp', 'privatekey', 'github', 'anthropic', 'openai', 'slack', 'npm', 'basicauth']));
    expect(ruleNames()).not.toContain('filter-comments');
  });

  it('replaces each secret whole with a marker naming its rule, and counts them', () => {
    const r = redact(corpus());
    expect(r.text).toContain(`const anthropic = "${marker('anthropic')}";`);
    expect(r.text).toContain(`aws_access_key_id = ${marker('aws')}`);
    // secretlint reports this one from the label's start; the secret itself is what goes.
    expect(r.text).toContain(`aws_secret_access_key = ${marker('aws')}`);
    expect(r.text).toContain(`GITHUB_TOKEN=${marker('github')}`);
    expect(r.text).toContain(`${marker('privatekey')}\nDATABASE_URL=`);
    expect(r.text).toContain(`DATABASE_URL=${marker('database-connection-string')}`);
    expect(r.text).toContain(`webhook: ${marker('slack')}`);
    expect(r.text).toContain('plain text that holds nothing secret');
    for (const s of [fakeAnthropicKey(), fakeAwsKeyId(), fakeAwsSecret(), fakeGithubToken(), 'Tr0ub4dor-and-3', 'abcdefghijklmnopqrstuvwx']) expect(r.text).not.toContain(s);
    expect(r.text).not.toMatch(/MII[A-Za-z0-9]{20}/);
    expect(r.count).toBe(7);
  });

  it('finds at least what secretlint itself reports on the same text (its lintSource as the oracle)', async () => {
    const text = corpus();
    const result = await lintSource({
      source: { content: text, filePath: 'corpus.txt', ext: '.txt', contentType: 'text' },
      options: {
        config: { rules: [{ id: recommended.meta.id, rule: recommended, rules: [{ id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }] }] },
        noPhysicFilePath: true,
      },
    });
    expect(result.messages.length).toBeGreaterThanOrEqual(6);
    const ours = scanSecrets(text);
    for (const m of result.messages) {
      const data = Object.values((m as { data?: Record<string, unknown> }).data ?? {}).filter((v): v is string => typeof v === 'string' && v.length > 0);
      // Every secret secretlint names (data that occurs in the text; some is a label) is inside a span we redact.
      for (const v of data) {
        const at = text.indexOf(v, m.range[0]);
        if (at < 0) continue;
        expect(ours.some((f) => f.start <= at && at + v.length <= f.end), `${m.ruleId}: ${v.slice(0, 12)}`).toBe(true);
      }
    }
  });

  it('withholds the literal secrets the host holds, longest first, and ignores short ones', () => {
    addSecrets(['the-host-held-secret-value', 'the-host-held-secret-value-and-more', 'short', undefined, '']);
    const r = redact('a the-host-held-secret-value-and-more b the-host-held-secret-value c short');
    expect(r.text).toBe(`a ${marker('secret')} b ${marker('secret')} c short`);
    expect(r.count).toBe(2);
  });

  it('withholds a literal added after the same text was found clean', () => {
    const text = 'deploy token: later-known-secret-0123';
    expect(redact(text).count).toBe(0);
    expect(redactDeep({ a: text }).count).toBe(0);
    addSecrets(['later-known-secret-0123']);
    expect(redactText(text)).toBe(`deploy token: ${marker('secret')}`);
    expect(redactDeep({ a: text }).value.a).toBe(`deploy token: ${marker('secret')}`);
  });

  it('does not obey a secretlint-disable comment in the text it redacts', () => {
    const text = `// secretlint-disable\nconst token = "${fakeGithubToken('disabled')}";\n// secretlint-enable`;
    expect(redactText(text)).toContain(`const token = "${marker('github')}";`);
  });

  it('is idempotent: a redacted text has nothing left to redact', () => {
    const once = redact(corpus());
    const twice = redact(once.text);
    expect(twice).toEqual({ text: once.text, count: 0 });
  });

  it('leaves ordinary code alone: none of the engine\'s own sources is changed', () => {
    for (const f of ['src/engine/ledger/ledger.ts', 'src/engine/tools/tools.ts', 'src/engine/git/git.ts', 'README.md']) {
      const text = readFileSync(path.join(ROOT, f), 'utf8');
      expect(redact(text), f).toEqual({ text, count: 0 });
    }
  });

  it('redacts every string inside a JSON-like value, keys included, and hands back the same value when nothing was found', () => {
    const clean = { a: ['x', { b: 'y' }], n: 1 };
    expect(redactDeep(clean).value).toBe(clean);
    const key = fakeAnthropicKey('deep');
    const r = redactDeep({ text: `key ${key}`, list: [key, 2], [key]: true });
    expect(r.count).toBe(3);
    expect(JSON.stringify(r.value)).not.toContain(key);
    expect(r.value.text).toBe(`key ${marker('anthropic')}`);
  });

  it('finds a private key block as written, where a JSON-escaped copy of it would hide its line breaks', () => {
    const pem = fakePrivateKey('json');
    expect(redactDeep({ file: `x\n${pem}\ny` }).value.file).toBe(`x\n${marker('privatekey')}\ny`);
  });
});
