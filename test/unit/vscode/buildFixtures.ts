/**
 * Ledgers of a whole build pipeline (builders, reviewers, integration, fix, hardeners, assembly) for
 * the board's and the pipeline views' unit tests, and fixtures of the files the pipeline writes
 * (the pipeline's own tests produce the real ones).
 */
import type { AgentRecord, LedgerSnapshot } from '../../../src/engine';
import type { HardenFinding, HardenTally, IntegrationResult, ShipRecord } from '../../../src/engine/pipelineFiles';
import { agent, snapshot } from './fixtures';

export const HARDENERS = ['h-security', 'h-correctness', 'h-tests', 'h-style'];

const idle = { status: 'pending', queuedAt: null, startedAt: null, endedAt: null, returned: null } as const;

/**
 * A build run whose agents are all pending, but for `over` (by agent id). `hardening: false`
 * leaves the hardeners out, as the setting does.
 */
export function buildLedger(over: Record<string, Partial<AgentRecord>> = {}, run: Partial<LedgerSnapshot> = {}, opts: { builders?: string[]; hardening?: boolean } = {}): LedgerSnapshot {
  const builders = opts.builders ?? ['b1', 'b2'];
  const make = (a: AgentRecord): AgentRecord => ({ ...a, ...over[a.id] });
  const agents: AgentRecord[] = [
    agent({ id: 's1', role: 'scout', domain: 'scouts', task: 'Find where input is parsed', outputFile: 'scouts/s1.md' }),
    ...builders.map((id) => agent({
      ...idle, id, role: 'builder', domain: 'builders', tier: 'opus', task: `Validate the input of module ${id}`,
      scope: [`src/${id}/index.ts`, `src/${id}/parse.ts`], outputFile: `builders/${id}.md`,
    })),
    ...builders.map((id) => agent({ ...idle, id: `r-${id}`, role: 'reviewer', domain: 'reviews', tier: 'sonnet', task: `Review ${id}'s change`, dependsOn: [id], scope: [`src/${id}`], outputFile: `reviews/${id}.md` })),
    agent({ ...idle, id: 'integration', role: 'integration', domain: null, task: 'Check the assembled change', dependsOn: builders.map((b) => `r-${b}`), outputFile: 'integration.md' }),
    agent({ ...idle, id: 'fix', role: 'fixer', domain: null, tier: 'opus', task: 'Repair what the integration check reported', dependsOn: ['integration'], outputFile: 'fix.md' }),
    ...(opts.hardening === false ? [] : HARDENERS.map((id) => agent({ ...idle, id, role: 'hardener', domain: 'harden', tier: 'sonnet', task: `Audit the combined change: ${id}`, dependsOn: ['fix'], outputFile: `harden/${id}.md` }))),
    agent({ ...idle, id: 'assemble', role: 'final', domain: null, task: 'Assemble the change', dependsOn: ['fix'], outputFile: 'summary.md' }),
  ].map(make);
  for (const id of Object.keys(over)) if (!agents.some((a) => a.id === id)) throw new Error(`buildLedger: no agent ${id}`);
  return snapshot({
    pattern: 'build', status: 'running', agents, ...run,
    groups: [{ id: 'scouts', label: 'Scouts (1)' }, { id: 'builders', label: `Builders (${builders.length})` }, { id: 'reviews', label: `Reviews (${builders.length})` }, { id: 'harden', label: 'Hardening' }],
  });
}

/** Every agent up to and including `stage` completed: the shortcut to a ledger at a point of the pipeline. */
export function doneThrough(stage: 'builders' | 'reviews' | 'integration' | 'harden' | 'assemble', builders = ['b1', 'b2']): Record<string, Partial<AgentRecord>> {
  const done = { status: 'completed', endedAt: '2025-06-01T11:59:00.000Z', startedAt: '2025-06-01T11:58:00.000Z' } as const;
  const out: Record<string, Partial<AgentRecord>> = {};
  const order = ['builders', 'reviews', 'integration', 'harden', 'assemble'];
  const upTo = order.indexOf(stage);
  for (const b of builders) out[b] = done;
  if (upTo >= 1) for (const b of builders) out[`r-${b}`] = done;
  if (upTo >= 2) { out.integration = done; out.fix = done; }
  if (upTo >= 3) for (const h of HARDENERS) out[h] = done;
  if (upTo >= 4) out.assemble = done;
  return out;
}

export function integrationFile(status: IntegrationResult['status'], rounds = 1, over: Partial<IntegrationResult> = {}): IntegrationResult {
  return {
    status, command: status === 'no-check' ? null : 'npm test', ref: 'c0ffee',
    rounds: Array.from({ length: status === 'no-check' ? 0 : rounds }, (_, round) => ({
      round, ok: status === 'passed' && round === rounds - 1, code: status === 'passed' && round === rounds - 1 ? 0 : 1, timedOut: false,
      log: `checks/integration-${round}.log`, ms: 1200,
    })),
    ...over,
  };
}

export function finding(over: Partial<HardenFinding> = {}): HardenFinding {
  return { id: 'h-security-1', severity: 'critical', concern: 'security', file: 'src/b2/index.ts', line: 12, text: 'The token is logged in plain text.', owner: 'b2', status: 'open', ...over };
}

export function tallyFile(findings: HardenFinding[], enabled = true): HardenTally {
  const n = (s: HardenFinding['severity']) => findings.filter((f) => f.severity === s).length;
  return { enabled, critical: n('critical'), major: n('major'), minor: n('minor'), findings };
}

export function shipFile(over: Partial<ShipRecord> = {}): ShipRecord {
  return { branch: 'orchestration/20250601-115500-ab12', commit: '0123456789abcdef0123456789abcdef01234567', base: 'fedcba98', headMoved: false, pushedTo: null, at: '2025-06-01T12:00:00.000Z', ...over };
}
