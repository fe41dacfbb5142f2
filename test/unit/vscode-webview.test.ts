import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, makeNonce, summaryHtml } from '../../src/vscode/panels/webviewHtml';

const opts = { cspSource: 'https://file+.vscode-resource.vscode-cdn.net', scriptUri: 'https://x/dist/webview.js', styleUri: 'https://x/media/summary.css' };

describe('Summary webview CSP', () => {
  it('makes 16-byte base64 nonces that differ every time', () => {
    const a = makeNonce();
    expect(a).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(Buffer.from(a, 'base64')).toHaveLength(16);
    expect(new Set(Array.from({ length: 50 }, makeNonce)).size).toBe(50);
  });

  it('denies everything by default and lets scripts run only with the nonce', () => {
    const nonce = makeNonce();
    const csp = contentSecurityPolicy({ cspSource: opts.cspSource, nonce });
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual([`'nonce-${nonce}'`]);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:\/\/(?!file\+)/);
    expect(directives['connect-src']).toBeUndefined();
  });

  it('puts the CSP in the page and the nonce on its one external script', () => {
    const nonce = makeNonce();
    const html = summaryHtml({ ...opts, nonce });
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
    expect(html).toContain(`script-src 'nonce-${nonce}'`);
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    expect(scripts).toEqual([`<script nonce="${nonce}" src="${opts.scriptUri}">`]);
    expect(html).not.toMatch(/<script[^>]*>[^<]+<\/script>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });
});
