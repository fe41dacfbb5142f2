/**
 * The CLI's transport when the environment names a proxy. Node's own fetch ignores
 * `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`; undici's EnvHttpProxyAgent reads them (lower-case forms
 * first, as curl does) and tunnels through the proxy with CONNECT, for https and http alike. The
 * extension never uses this: VS Code applies `http.proxy`, proxy authentication and the system
 * certificates to the platform fetch itself.
 */
import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';
import type { Fetch } from '../engine';

const PROXY_VARS = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'];

export interface ProxyTransport {
  fetch: Fetch;
  /** Closes the proxy tunnels and kept-alive connections. */
  close(): Promise<void>;
}

/** A proxy-aware fetch, or null when no proxy variable is set (the platform fetch then does the same job). */
export function proxyTransportFromEnv(): ProxyTransport | null {
  if (!PROXY_VARS.some((k) => process.env[k]?.trim())) return null;
  const dispatcher = new EnvHttpProxyAgent();
  // undici's own fetch with its own agent: Node 20 bundles an older undici, whose fetch is not
  // guaranteed to drive a dispatcher from this version.
  const fetch: Fetch = (input, init) => undiciFetch(
    input as Parameters<typeof undiciFetch>[0],
    { ...init, dispatcher } as Parameters<typeof undiciFetch>[1],
  );
  return { fetch, close: () => dispatcher.close() };
}
