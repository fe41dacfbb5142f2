import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import type { LedgerSnapshot } from '../../src/engine/types';
import { CLI, makeWorkspace, planReply, readJson, startFake, type Fake } from './harness';

/** A forward proxy that only tunnels (CONNECT), as corporate proxies do, and counts what it saw. */
interface Proxy {
  url: string;
  /** `host:port` of each tunnel opened. */
  tunnels: string[];
  /** Requests sent to the proxy as plain HTTP (absolute-form), which it refuses. */
  plain: number;
  close(): Promise<void>;
}

async function startProxy(): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const proxy: Omit<Proxy, 'url' | 'close'> = { tunnels: [], plain: 0 };
  const server: Server = createServer((_req, res) => {
    proxy.plain++;
    res.writeHead(405, { 'content-type': 'text/plain' }).end('this proxy only tunnels (CONNECT)');
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    proxy.tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}

let fake: Fake | undefined;
let proxy: Proxy | undefined;
afterEach(async () => {
  await fake?.close(); fake = undefined;
  await proxy?.close(); proxy = undefined;
});
beforeAll(() => { if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build (npm test does)'); });

/** The environment of a CLI run against the fake server, with every proxy variable of this process removed first. */
function envWith(f: Fake, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']) delete env[k];
  return { ...env, ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: f.server.url, ...extra };
}

function runCli(ws: string, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'run', 'Audit the shop', '--yes', '--workspace', ws, ...extra], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

function ledgerOf(ws: string): LedgerSnapshot {
  const root = path.join(ws, '.orchestration');
  return readJson<LedgerSnapshot>(path.join(root, readdirSync(root).find((n) => /^\d{8}-/.test(n))!, 'ledger.json'));
}

async function setup(): Promise<{ ws: string; target: string }> {
  const ws = makeWorkspace();
  fake = await startFake(ws, (_req, _ctx, agent) => (agent === 'planner' ? planReply(3, 3) : undefined));
  proxy = await startProxy();
  return { ws, target: new URL(fake.server.url).host };
}

describe('the CLI behind a proxy', () => {
  it('sends every API request through the proxy named by HTTPS_PROXY / HTTP_PROXY', async () => {
    const { ws, target } = await setup();
    const r = await runCli(ws, envWith(fake!, { HTTPS_PROXY: proxy!.url, HTTP_PROXY: proxy!.url }));
    expect(r.code, r.stderr).toBe(0);
    expect(ledgerOf(ws).status).toBe('completed');
    expect(fake!.server.stats.totalRequests).toBeGreaterThan(9);
    expect(proxy!.tunnels.length).toBeGreaterThan(0);
    expect(new Set(proxy!.tunnels)).toEqual(new Set([target]));
    expect(proxy!.plain).toBe(0);
  });

  it('honours the lower-case http_proxy too', async () => {
    const { ws, target } = await setup();
    const r = await runCli(ws, envWith(fake!, { http_proxy: proxy!.url }));
    expect(r.code, r.stderr).toBe(0);
    expect(proxy!.tunnels).toContain(target);
  });

  it('goes direct to a host that NO_PROXY covers', async () => {
    const { ws } = await setup();
    const r = await runCli(ws, envWith(fake!, { HTTPS_PROXY: proxy!.url, HTTP_PROXY: proxy!.url, NO_PROXY: 'localhost,127.0.0.1' }));
    expect(r.code, r.stderr).toBe(0);
    expect(ledgerOf(ws).status).toBe('completed');
    expect(fake!.server.stats.totalRequests).toBeGreaterThan(9);
    expect(proxy!.tunnels).toEqual([]);
    expect(proxy!.plain).toBe(0);
  });

  it('fails naming the proxy address when the proxy is down, instead of going around it', async () => {
    const { ws } = await setup();
    const dead = proxy!.url;
    await proxy!.close();
    proxy = undefined;
    const r = await runCli(ws, envWith(fake!, { HTTP_PROXY: dead, HTTPS_PROXY: dead }), ['--set', 'retryBaseMs=5', '--set', 'transientRetries=1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`connection failed: .*ECONNREFUSED ${new URL(dead).host}`));
    expect(fake!.server.stats.totalRequests).toBe(0);
  });
});
