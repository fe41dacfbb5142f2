// Chosen by the front ends (CLI, VS Code), never by the engine: the engine only sees a ModelClient.
import * as path from 'node:path';
import { AnthropicModelClient, ConfigError, userStateDir, type Config, type Fetch, type ModelClient } from './engine';
import { startSimulator } from './simulator';

export class MissingApiKeyError extends ConfigError {
  constructor() {
    super('No Anthropic API key: set one (VS Code: "Orchestration: Set API Key"; CLI: ANTHROPIC_API_KEY), or use the simulated provider (--simulate)');
    this.name = 'MissingApiKeyError';
  }
}

export interface Provider {
  model: ModelClient;
  simulated: boolean;
  dispose(): Promise<void>;
}

export interface ProviderOptions {
  apiKey?: string | undefined;
  workspace: string;
  simulatedLatencyMs?: number;
  /**
   * The transport for API requests, when not the platform fetch. The CLI passes a proxy-aware one
   * when `HTTPS_PROXY`/`HTTP_PROXY` are set; the extension passes none: VS Code already routes the
   * platform fetch through its own proxy settings and certificates. Closed with the provider.
   */
  transport?: { fetch: Fetch; close(): Promise<void> } | null;
}

/**
 * The model client for a config. `simulated` starts the bundled offline model on 127.0.0.1 and
 * talks to it through the real SDK, so the simulated path exercises the same code as the real one
 * (never through a proxy: the simulator is in this process, on the loopback). Its Message Batches
 * are kept in the user's state folder, so a batched run a reload or a kill cut off is collected by
 * the next simulator, as it would be from the real API.
 */
export async function openProvider(config: Config, opts: ProviderOptions): Promise<Provider> {
  if (config.provider === 'simulated') {
    const sim = await startSimulator({
      workspace: opts.workspace, batchStateDir: path.join(userStateDir(), 'simulator-batches'),
      ...(opts.simulatedLatencyMs ? { latencyMs: opts.simulatedLatencyMs } : {}),
    });
    return { model: new AnthropicModelClient({ apiKey: 'simulated', baseUrl: sim.baseUrl }), simulated: true, dispose: () => sim.close() };
  }
  const apiKey = opts.apiKey?.trim();
  if (!apiKey) throw new MissingApiKeyError();
  const proxy = opts.transport ?? null;
  return {
    model: new AnthropicModelClient({ apiKey, baseUrl: config.baseUrl, ...(proxy ? { fetch: proxy.fetch } : {}) }),
    simulated: false,
    dispose: async () => { await proxy?.close(); },
  };
}
