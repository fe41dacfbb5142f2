/**
 * Secrets: the one redaction over everything written, printed or sent to a model (redact.ts, with
 * secretlint's recommended preset in rules.ts), and the environment child processes get (childEnv.ts).
 */
export { addSecrets, marker, MIN_LITERAL, redact, redactDeep, redactText, type Redacted } from './redact';
export { childEnv, credentialValues, isCredentialVar } from './childEnv';
export { ruleNames, scanSecrets, type Finding } from './rules';
