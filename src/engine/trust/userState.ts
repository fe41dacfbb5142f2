import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The folder where this machine's user keeps what no repository may ship: consent given to a
 * repository's commands, the proof that a run folder was created here. Outside every workspace.
 * `ORCHESTRATION_STATE_DIR` overrides it (tests, portable installs); else the platform's state
 * folder: `$XDG_STATE_HOME` or `~/.local/state` on Linux, `%LOCALAPPDATA%` on Windows,
 * `~/Library/Application Support` on macOS.
 */
export function userStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ORCHESTRATION_STATE_DIR?.trim()) return path.resolve(env.ORCHESTRATION_STATE_DIR);
  const home = os.homedir();
  const base = process.platform === 'win32' ? env.LOCALAPPDATA || path.join(home, 'AppData', 'Local')
    : process.platform === 'darwin' ? path.join(home, 'Library', 'Application Support')
      : env.XDG_STATE_HOME || path.join(home, '.local', 'state');
  return path.join(base, 'scaled-agent-orchestration');
}
