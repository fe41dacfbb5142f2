import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from './config';
import type { ConfigLayer } from './trust/configPolicy';

/** The project file as users name it in messages. */
export const PROJECT_CONFIG = '.orchestration/config.json';

/**
 * Reads `<workspace>/.orchestration/config.json` (always under `.orchestration`, since it may
 * itself move the output root) as an untrusted layer: it travels with every clone, so
 * `resolveConfig` obeys only its workspace-safe keys. Missing file → no values; unreadable or
 * non-object JSON → a ConfigError naming the file.
 */
export async function loadProjectConfig(workspace: string): Promise<ConfigLayer> {
  return { source: PROJECT_CONFIG, trusted: false, values: await readProjectFile(workspace) };
}

async function readProjectFile(workspace: string): Promise<Record<string, unknown>> {
  const file = path.join(workspace, '.orchestration', 'config.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`Cannot read ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(`${file} must hold a JSON object, got ${Array.isArray(data) ? 'an array' : typeof data}`);
  }
  return data as Record<string, unknown>;
}
