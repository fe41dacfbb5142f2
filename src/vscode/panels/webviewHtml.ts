/** The webviews' HTML shell (the Summary view and the editor panels) and its Content Security Policy. */
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

export function summaryHtml(o: ShellOptions & { extraStyleUris?: string[] }): string {
  return webviewShell({ ...o, title: 'Orchestration Summary' });
}

/**
 * The one page every webview gets: the CSP, the nonce for the toolkit, one stylesheet (or more),
 * one script. The title names the frame (e2e tests find webviews by it). `restore` (what a panel
 * shows) rides on the body for the page to keep in its state, so a reload can bring the panel back.
 */
export function webviewShell(o: ShellOptions & { title: string; extraStyleUris?: string[]; restore?: object }): string {
  const styles = [o.styleUri, ...(o.extraStyleUris ?? [])]
    .map((u) => `<link rel="stylesheet" href="${attr(u)}" nonce="${attr(o.nonce)}">`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(o))}">
<meta property="csp-nonce" content="${attr(o.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
<title>${attr(o.title)}</title>
</head>
<body${o.restore ? ` data-restore="${attr(JSON.stringify(o.restore))}"` : ''}>
<main id="app" aria-live="polite"><p class="muted">Loading…</p></main>
<script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>`;
}
