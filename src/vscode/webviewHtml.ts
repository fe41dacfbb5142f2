/** The Summary webview's HTML shell and its Content Security Policy. */
import { randomBytes } from 'node:crypto';

/** A fresh nonce per render, from the OS CSPRNG (never Math.random). */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

export interface ShellOptions {
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

/**
 * Nothing is allowed by default; the bundle runs only with the nonce; styles come from the
 * extension or carry the nonce (the toolkit's components use constructable stylesheets, which
 * CSP does not gate, and read the nonce from the `csp-nonce` meta for their one <style> probe).
 * No inline script, no eval, no network.
 */
export function contentSecurityPolicy({ cspSource, nonce }: Pick<ShellOptions, 'cspSource' | 'nonce'>): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function summaryHtml(o: ShellOptions): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(o))}">
<meta property="csp-nonce" content="${attr(o.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(o.styleUri)}" nonce="${attr(o.nonce)}">
<title>Orchestration Summary</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="muted">Loading…</p></main>
<script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>`;
}
