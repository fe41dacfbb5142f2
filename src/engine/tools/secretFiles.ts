/**
 * Which workspace paths look like secrets, so the path guard refuses them and walks hide them.
 *
 * Three sources, each named in a refusal so a user can see why a file was refused:
 * - `ban-sensitive-files`' `git-deny-patterns.json` (gitrob's file-name rules, maintained upstream
 *   and bundled at build time), less the few rules in `UPSTREAM_LEFT_OUT` that match ordinary source
 *   files; every other rule, including any a new version adds, applies.
 * - `PROJECT_RULES`: what that list misses (`prod.env`, cloud keys, Terraform state, registry
 *   tokens, kube and docker credentials, …) and the folders of secrets.
 * - the `secretFiles` setting: globs a user adds. Adding is the only operation: nothing a
 *   workspace or a user sets can turn a rule of the first two sources off.
 *
 * Matching is case-insensitive (macOS and Windows file systems fold case).
 */
import denyPatterns from 'ban-sensitive-files/git-deny-patterns.json';
import picomatch from 'picomatch';
import { globTester } from './glob';
import { z } from 'zod';

/** Where a rule comes from, as a refusal names it. */
export const UPSTREAM_SOURCE = 'ban-sensitive-files (gitrob\'s rules)';
export const PROJECT_SOURCE = 'the project\'s list';
export const SETTING_SOURCE = 'the secretFiles setting';

/** One rule of `git-deny-patterns.json`, validated on load: the package is data we do not control. */
const UpstreamRuleSchema = z.object({
  part: z.enum(['filename', 'extension', 'path']),
  type: z.enum(['match', 'regex']),
  pattern: z.string().min(1),
  caption: z.string(),
});
type UpstreamRule = z.infer<typeof UpstreamRuleSchema>;

/**
 * gitrob's rules that flag files for a human to review rather than files that are credentials; they
 * match everyday source (`settings.py`, `schema.rb`, `*.sql` migrations, `*.log`, any name with
 * "password", "dump" or "backup" in it, shell start-up files in a dotfiles repository). Refusing
 * them would hide much of many projects from the agents; what secrets such files hold is left to the
 * redaction of file contents. Keyed `part:pattern` as upstream spells them; a test fails when one of
 * them leaves the upstream list, so this stays a list of real exceptions.
 */
export const UPSTREAM_LEFT_OUT: ReadonlyMap<string, string> = new Map([
  ['extension:log', 'log files are ordinary build and test output'],
  ['extension:\\Asql(dump)?\\z', 'SQL files are mostly schema and migrations'],
  ['filename:schema.rb', 'the Rails schema holds no credentials'],
  ['filename:database.yml', 'Rails database configuration, usually with credentials from the environment'],
  ['filename:settings.py', 'Django settings are the application\'s code'],
  ['filename:omniauth.rb', 'a Rails initializer (code)'],
  ['filename:carrierwave.rb', 'a Rails initializer (code)'],
  ['filename:\\A(.*)?config(\\.inc)?\\.php\\z', 'matches every PHP file whose name ends in config'],
  ['filename:\\A\\.?(bash|zsh)rc\\z', 'shell start-up files are code in a dotfiles repository'],
  ['filename:\\A\\.?(bash_|zsh_)?profile\\z', 'shell start-up files are code in a dotfiles repository'],
  ['filename:\\A\\.?(bash_|zsh_)?aliases\\z', 'shell start-up files are code in a dotfiles repository'],
  ['filename:backup', 'matches any name containing "backup", such as backupService.ts'],
  ['filename:dump', 'matches any name containing "dump", such as dumpState.ts'],
  ['filename:password', 'matches any name containing "password", such as passwordReset.ts'],
  ['filename:private.*key', 'matches names such as privateKeyParser.ts; key files are refused by extension'],
]);

/** A compiled rule: it tests a lower-cased file name, or a lower-cased workspace-relative path for `path` rules. */
export interface SecretRule {
  /** `name`: a file's own name; `segment`: any part of the path, folders included; `path`: the whole path. */
  on: 'name' | 'segment' | 'path';
  test: (s: string) => boolean;
  /** A built-in rule's expression (trusted, ours or the package's), which `RuleIndex` joins with the others. */
  re?: RegExp;
  /** The pattern as its source writes it. */
  shown: string;
  what: string;
  source: string;
}

/** gitrob writes Python regular expressions; `\A` and `\z` are the only syntax JavaScript lacks among them. */
function jsSource(pattern: string, startAnchor: string): string {
  return pattern.replace(/\\A/g, startAnchor).replace(/\\z/g, '$');
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function upstreamRule(r: UpstreamRule): SecretRule {
  let source: string;
  if (r.part === 'extension') {
    // As path.extname: the text after the last dot, and a leading dot starts no extension.
    source = `^.+\\.(?:${r.type === 'match' ? escapeRegex(r.pattern) : jsSource(r.pattern, '^')})$`;
  } else if (r.part === 'filename') {
    source = r.type === 'match' ? `^${escapeRegex(r.pattern)}$` : jsSource(r.pattern, '^');
  } else {
    // Against a workspace-relative path, "from the start" means from the start of any folder name.
    source = r.type === 'match' ? `(?:^|/)${escapeRegex(r.pattern)}$` : jsSource(r.pattern, '(?:^|/)');
  }
  let re: RegExp;
  try {
    re = new RegExp(source, 'i');
  } catch (err) {
    throw new Error(`ban-sensitive-files/git-deny-patterns.json: rule "${r.pattern}" (${r.caption}) does not compile: ${(err as Error).message}`, { cause: err });
  }
  return { on: r.part === 'path' ? 'path' : 'name', test: (s) => re.test(s), re, shown: r.pattern, what: r.caption, source: UPSTREAM_SOURCE };
}

/** The upstream rules in force: all of `git-deny-patterns.json` but `UPSTREAM_LEFT_OUT`. */
function loadUpstream(): SecretRule[] {
  const parsed = z.array(UpstreamRuleSchema).safeParse(denyPatterns);
  if (!parsed.success) {
    throw new Error(`ban-sensitive-files/git-deny-patterns.json: expected an array of {part, type, pattern, caption} rules: ${parsed.error.message}`);
  }
  return parsed.data.filter((r) => !UPSTREAM_LEFT_OUT.has(`${r.part}:${r.pattern}`)).map(upstreamRule);
}

/** The upstream list as shipped, for the test that keeps `UPSTREAM_LEFT_OUT` honest. */
export function upstreamRuleKeys(): string[] {
  return z.array(UpstreamRuleSchema).parse(denyPatterns).map((r) => `${r.part}:${r.pattern}`);
}

/**
 * What the upstream list misses, and the rules this project had before it used one that are still
 * needed, as globs on one name (`path` rules: on the whole path). `segment` rules refuse a folder of
 * that name and everything below it too; `name` rules refuse files only.
 */
const PROJECT_GLOBS: ReadonlyArray<readonly [SecretRule['on'], string, string]> = [
  ['segment', '.aws', 'a folder of AWS credentials'],
  ['segment', '.ssh', 'a folder of SSH keys'],
  ['segment', '.gnupg', 'a folder of GnuPG keys'],
  ['segment', '.kube', 'a folder of Kubernetes credentials'],
  ['segment', '.env', 'environment file'],
  ['segment', '.env.*', 'environment file'],
  ['segment', '.envrc', 'direnv environment file'],
  ['name', '*.env', 'environment file'],
  ['segment', '*.{pem,key}', 'private key or certificate'],
  ['segment', '*.{p12,pfx,jks,keystore}', 'key store'],
  ['segment', '*.p8', 'private key (Apple, PKCS #8)'],
  ['segment', '*.ppk', 'PuTTY private key'],
  ['segment', '*.kdbx', 'KeePass password database'],
  ['segment', 'id_{rsa,dsa,ecdsa,ed25519}*', 'SSH key'],
  ['segment', '{.npmrc,.yarnrc.yml}', 'package registry token'],
  ['segment', '.pypirc', 'Python package index credentials'],
  ['segment', '{.netrc,_netrc,.pgpass,.git-credentials}', 'stored login'],
  ['segment', '.vault-token', 'HashiCorp Vault token'],
  ['segment', '.htpasswd', 'Apache password file'],
  ['segment', '.dockercfg', 'Docker registry credentials'],
  ['segment', 'credentials*.json', 'credentials file'],
  ['segment', 'secrets.*', 'secrets file'],
  ['name', '*service{-,_,}account*.json', 'cloud service account key'],
  ['name', '{key.json,*[-_.]key.json}', 'cloud service account key'],
  ['name', 'application_default_credentials.json', 'Google Cloud credentials'],
  ['name', '*.tfvars{,.json}', 'Terraform variables'],
  ['name', '*.tfstate{,.backup}', 'Terraform state'],
  ['name', 'kubeconfig', 'Kubernetes credentials'],
  ['path', '**/.docker/config.json', 'Docker registry credentials'],
];

/** Our own globs are constants, so V8's regex runs them: a walk tests every entry against them all. */
function projectRule([on, glob, what]: readonly [SecretRule['on'], string, string]): SecretRule {
  const re = picomatch.makeRe(glob, { dot: true, nocase: true });
  return { on, test: (s) => re.test(s), re, shown: glob, what, source: PROJECT_SOURCE };
}

const PROJECT_RULES: readonly SecretRule[] = PROJECT_GLOBS.map(projectRule);

/**
 * The built-in rules of one kind behind one joined expression: nearly every name a walk meets
 * matches none, and one test of the join costs about what one rule's does; the rule that matched
 * is looked for only after a hit.
 */
class RuleIndex {
  private readonly any: RegExp;

  constructor(private readonly rules: readonly SecretRule[]) {
    this.any = new RegExp(rules.map((r) => `(?:${r.re!.source})`).join('|') || '(?!)', 'i');
  }

  first(s: string): SecretRule | undefined {
    return this.any.test(s) ? this.rules.find((r) => r.test(s)) : undefined;
  }
}

const DEFAULT_RULES: readonly SecretRule[] = [...PROJECT_RULES, ...loadUpstream()];
const BY_SEGMENT = new RuleIndex(DEFAULT_RULES.filter((r) => r.on === 'segment'));
const BY_PATH = new RuleIndex(DEFAULT_RULES.filter((r) => r.on === 'path'));
const BY_NAME = new RuleIndex(DEFAULT_RULES.filter((r) => r.on === 'name'));

function segmentsOf(rel: string): string[] {
  return rel.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
}

/** What a caller knows of the path: the user's globs, and whether its last part is a folder. */
export interface SecretCheck {
  /** Globs from the `secretFiles` setting (picomatch; without "/" they match a name at any depth). */
  secretFiles?: readonly string[];
  /**
   * Whether the path is a folder. File-name rules describe files: a folder named `history` is not
   * a shell history. A function is asked only when a file-name rule matched (it may stat).
   */
  isDir?: boolean | (() => boolean);
}

const userRulesCache = new Map<string, SecretRule[]>();

function userRules(globs: readonly string[]): SecretRule[] {
  const key = globs.join('\0');
  let rules = userRulesCache.get(key);
  if (!rules) {
    rules = globs.map((glob) => {
      const g = glob.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
      const test = globTester(g, { source: `the secretFiles glob "${glob}"`, nocase: true, anyDepth: true });
      return { on: 'path' as const, test, shown: glob, what: 'added by the user', source: SETTING_SOURCE };
    });
    // A handful of settings are in use at once; the cache only spares recompiling them per path.
    if (userRulesCache.size >= 16) userRulesCache.clear();
    userRulesCache.set(key, rules);
  }
  return rules;
}

function describe(rule: SecretRule): string {
  return `matches "${rule.shown}" (${rule.what}) from ${rule.source}`;
}

/**
 * Why a workspace-relative path looks like a secret, or null: "looks like a secret file: matches
 * … from …", or "is inside x/, which …" when a folder above it is the match.
 */
export function secretReason(rel: string, check: SecretCheck = {}): string | null {
  const segments = segmentsOf(rel).map((s) => s.toLowerCase());
  if (segments.length === 0) return null;
  const last = segments.length - 1;
  for (let i = 0; i < segments.length; i++) {
    const rule = BY_SEGMENT.first(segments[i]);
    if (!rule) continue;
    if (i === last) return `looks like a secret file: ${describe(rule)}`;
    return `is inside ${segments.slice(0, i + 1).join('/')}/, which looks like a secret: ${describe(rule)}`;
  }
  const whole = segments.join('/');
  const pathRule = BY_PATH.first(whole);
  if (pathRule) return `looks like a secret file: ${describe(pathRule)}`;
  const nameRule = BY_NAME.first(segments[last]);
  if (nameRule && !isFolder(check.isDir)) return `looks like a secret file: ${describe(nameRule)}`;
  if (check.secretFiles?.length) {
    const rules = userRules(check.secretFiles);
    // A glob that names a folder covers everything below it.
    for (let i = 0; i < segments.length; i++) {
      const prefix = segments.slice(0, i + 1).join('/');
      const rule = rules.find((r) => r.test(prefix));
      if (!rule) continue;
      if (i === last) return `looks like a secret file: ${describe(rule)}`;
      return `is inside ${prefix}/, which looks like a secret: ${describe(rule)}`;
    }
  }
  return null;
}

function isFolder(isDir: SecretCheck['isDir']): boolean {
  return typeof isDir === 'function' ? isDir() : isDir === true;
}
