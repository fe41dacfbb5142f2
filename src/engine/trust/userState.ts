import * as os from 'node:os';
import * as path from 'node:path';

const APP_DIR = 'scaled-agent-orchestration';

/**
 * The folder where this machine's user keeps what no repository may ship: the secret that marks
 * run folders created here (ledger/origin.ts) and the consent given to repositories' commands
 * (trust/consent.ts). Outside every workspace. `ORCHESTRATION_STATE_DIR` moves it (portable
 * installs, tests); else `$XDG_STATE_HOME` when set (absolute, as the XDG spec asks), else the
 * platform's own: `%LOCALAPPDATA%`, `~/Library/Application Support`, `~/.local/state`.
 */
export function userStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env.ORCHESTRATION_STATE_DIR?.trim();
  if (own) return path.resolve(own);
  const xdg = env.XDG_STATE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, APP_DIR);
  const home = os.homedir();
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), APP_DIR);
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_DIR);
  return path.join(home, '.local', 'state', APP_DIR);
}
