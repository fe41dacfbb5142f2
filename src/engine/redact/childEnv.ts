/**
 * The environment of every child process the engine starts (the verification command, git):
 * the parent's, minus credentials and the channels that hand them out. A repository's `npm test`
 * prints what it likes into a log the model reads; it must have no key to print.
 *
 * Left out, by name (case-insensitive):
 * - `ANTHROPIC_*` (the key, an auth token, the endpoint it goes to);
 * - names ending `_API_KEY`, `_APIKEY`, `_KEY`, `_KEYS`, `_TOKEN`, `_TOKENS`, `_PAT`, and names holding
 *   `SECRET`, `PASSWORD`, `PASSWD`, `CREDENTIAL`, `PRIVATE_KEY`, `ACCESS_KEY`, `AUTH_TOKEN`, `_AUTH`
 *   (`GITHUB_TOKEN`, `NPM_TOKEN`, `NODE_AUTH_TOKEN`, `OPENAI_API_KEY`, `DB_PASSWORD`,
 *   `GOOGLE_APPLICATION_CREDENTIALS`, `npm_config__auth`, …);
 * - whole families of cloud credentials: `AWS_*`, `AZURE_*`, `GOOGLE_*`, `GCLOUD_*`, `CLOUDSDK_*`,
 *   `ARM_*`, `VAULT_*`, `DOCKER_AUTH*`;
 * - the channels a child could borrow credentials through: `SSH_AUTH_SOCK`, `GPG_AGENT_INFO`,
 *   `GIT_ASKPASS`, `SSH_ASKPASS`, `VSCODE_GIT_*` (VS Code's git credential helper) and
 *   `VSCODE_IPC_HOOK*`;
 * - any variable whose value is a URL with a password in it (`DATABASE_URL=postgres://u:p@…`).
 *
 * Everything else stays (PATH, HOME, the locale, proxies, NODE_OPTIONS, CI, …), so `npm test`
 * runs as it would in the user's terminal.
 */

const DENY_NAME: readonly RegExp[] = [
  /^ANTHROPIC_/i,
  /_(API_?KEY|KEYS?|TOKENS?|PAT)$/i,
  /SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE_?KEY|ACCESS_?KEY|AUTH_?TOKEN|_AUTH(_|$)/i,
  /^(AWS|AZURE|GOOGLE|GCLOUD|CLOUDSDK|ARM|VAULT)_/i,
  /^DOCKER_AUTH/i,
  /^(SSH_AUTH_SOCK|GPG_AGENT_INFO|GIT_ASKPASS|SSH_ASKPASS)$/i,
  /^VSCODE_(GIT_|IPC_HOOK)/i,
];

/** A URL that carries a password: `scheme://user:password@host`. */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i;

/** True when a variable of this name (and value) is kept from child processes. */
export function isCredentialVar(name: string, value?: string): boolean {
  return DENY_NAME.some((re) => re.test(name)) || (value !== undefined && URL_WITH_PASSWORD.test(value.trim()));
}

/**
 * The environment for a child process: `base` (the engine's own by default) without credentials,
 * then `extra` on top (what the caller sets on purpose, e.g. `CI=true` or git's identity).
 */
export function childEnv(extra: Readonly<Record<string, string>> = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !isCredentialVar(k, v)) env[k] = v;
  return Object.assign(env, extra);
}

/** Denied variables whose value is where a credential is, or which one, not the credential itself. */
const NOT_A_SECRET_NAME = /^(SSH_AUTH_SOCK|GPG_AGENT_INFO|GIT_ASKPASS|SSH_ASKPASS|VSCODE_)|_(URL|URI|HOST|REGION|PROFILE|FILE|PATH|DIR)$/i;
const PATH_VALUE = /^(\/|~\/|[A-Za-z]:\\)/;

/**
 * The values of the credentials in an environment (what `childEnv` leaves out, bar the channels,
 * which hold paths), for `addSecrets`: a key the user exported must not be printed either.
 */
export function credentialValues(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (!v || !isCredentialVar(k, v) || NOT_A_SECRET_NAME.test(k) || PATH_VALUE.test(v)) continue;
    out.push(v);
  }
  return out;
}
