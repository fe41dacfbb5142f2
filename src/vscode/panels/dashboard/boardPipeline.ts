/**
 * A build's stages after its builders, read from the ledger by the roles its pattern declares
 * for them (PatternView.changeSteps, never the pattern's name) and from the pipeline's
 * files: the integration check, the hardening tally and Ship, as the Summary and the dashboard show
 * them. Pure (no vscode, no fs): the views read the files and hand them in.
 */
import type { AgentRecord, ChangeStepsDecl, LedgerSnapshot } from '../../../engine';
import type { HardenFinding, HardenTally, IntegrationResult, ShipRecord } from '../../../engine/pipelineFiles';
import type { IntegrationView, PipelineFinding, PipelineView } from '../../../shared/protocol';
import { plural } from '../../../shared/words';
import { patternOf, shownStatus, viewOf, type ShownStatus } from '../../runs/runShape';

export interface PipelineFiles {
  integration: IntegrationResult | null;
  tally: HardenTally | null;
  ship: ShipRecord | null;
}

export const NO_PIPELINE_FILES: PipelineFiles = { integration: null, tally: null, ship: null };

/** Findings a view lists one by one; the tally file holds them all. */
export const FINDINGS_SHOWN = 50;
export const IN_FLIGHT: ReadonlySet<ShownStatus> = new Set(['queued', 'running', 'verifying', 'retrying']);
export const WORKING: ReadonlySet<ShownStatus> = new Set(['running', 'verifying', 'retrying']);
export const SETTLED: ReadonlySet<ShownStatus> = new Set(['completed', 'failed', 'cancelled', 'skipped', 'interrupted']);

/** The run's pipeline stages as its ledger holds them (each may be absent). */
export interface Stages {
  reviewers: Map<string, AgentRecord>;
  integration: AgentRecord | undefined;
  fixers: AgentRecord[];
  hardeners: AgentRecord[];
  final: AgentRecord | undefined;
}

/** The roles of the run's change steps as its pattern declares them (PatternView.changeSteps); undefined for a run that proposes no change. */
export const changeStepsOf = (s: LedgerSnapshot): ChangeStepsDecl | undefined => viewOf(patternOf(s)).changeSteps;

export function stagesOf(s: LedgerSnapshot): Stages {
  const reviewers = new Map<string, AgentRecord>();
  const r = changeStepsOf(s);
  if (!r) return { reviewers, integration: undefined, fixers: [], hardeners: [], final: undefined };
  for (const a of s.agents) if (a.role === r.reviewer) for (const d of a.dependsOn) reviewers.set(d, a);
  return {
    reviewers,
    integration: s.agents.find((a) => a.role === r.integration),
    fixers: s.agents.filter((a) => a.role === r.fixer),
    hardeners: s.agents.filter((a) => a.role === r.hardener),
    final: s.agents.find((a) => a.role === r.assembly),
  };
}

export function buildersOf(s: LedgerSnapshot): AgentRecord[] {
  const builder = changeStepsOf(s)?.builder;
  return builder ? s.agents.filter((a) => a.role === builder) : [];
}

/** A builder whose change is in the assembly: it completed and its reviewer (if it has one) approved. */
export function approved(st: Stages, b: AgentRecord): boolean {
  const r = st.reviewers.get(b.id);
  return b.status === 'completed' && (!r || r.status === 'completed');
}

const ownsFile = (b: AgentRecord, file: string): boolean => b.scope.some((o) => {
  const own = o.replace(/\/+$/, '');
  return file === own || file.startsWith(`${own}/`);
});

/** Findings in a builder's files: the tally names the owner, or the file is one it owns. */
export function findingsOf(b: AgentRecord, tally: HardenTally | null): HardenFinding[] {
  return (tally?.findings ?? []).filter((f) => f.owner === b.id || (f.owner === null && f.file !== null && ownsFile(b, f.file)));
}

/** The run has finished, or its last step has: nothing more will happen without the user. */
export function settledRun(s: LedgerSnapshot, st: Stages): boolean {
  // A declined plan never ran: there is no change for Ship to refuse.
  if (s.status === 'declined') return false;
  return !['planning', 'awaiting-approval', 'running'].includes(s.status) || (st.final !== undefined && SETTLED.has(shownStatus(st.final, s.status)));
}

export function lastLog(r: IntegrationResult | null): string | null {
  return r?.rounds.at(-1)?.log ?? null;
}

/** Why Ship would refuse the change, by name (empty: it would not). */
export function shipBlockers(s: LedgerSnapshot, files: PipelineFiles): string[] {
  const st = stagesOf(s);
  const out: string[] = [];
  const critical = files.tally?.enabled ? files.tally.critical : 0;
  if (critical > 0) {
    const owners = [...new Set((files.tally?.findings ?? []).filter((f) => f.severity === 'critical' && f.owner).map((f) => f.owner))];
    out.push(`${plural(critical, 'critical finding')}${owners.length ? ` (in ${owners.join(', ')}'s files)` : ''}`);
  }
  if (files.integration?.status === 'failed') out.push('the integration check failed on the assembled change');
  else if (st.integration && shownStatus(st.integration, s.status) === 'failed') out.push(`the integration step failed: ${st.integration.error ?? 'no reason recorded'}`);
  const unapproved = buildersOf(s).filter((b) => !approved(st, b)).map((b) => b.id);
  if (unapproved.length) out.push(`not approved: ${unapproved.join(', ')}`);
  if (st.final && shownStatus(st.final, s.status) !== 'completed') out.push('the change was not assembled');
  return out;
}

const shortFinding = (f: HardenFinding): PipelineFinding => ({
  id: f.id.slice(0, 100), severity: f.severity, concern: f.concern, file: f.file?.slice(0, 500) ?? null, line: f.line,
  text: f.text.slice(0, 2000), owner: f.owner?.slice(0, 80) ?? null, status: f.status,
});

const SEVERITY_ORDER = { critical: 0, major: 1, minor: 2 } as const;

/**
 * The pipeline's outcome for the Summary and the dashboard: null for a run without builders.
 * `written` holds run-relative files known to exist, so the log is linked only once it is there.
 */
export function pipelineView(s: LedgerSnapshot, files: PipelineFiles, written: ReadonlySet<string> = new Set()): PipelineView | null {
  if (!buildersOf(s).length && !files.integration && !files.tally && !files.ship) return null;
  const st = stagesOf(s);
  const status = (a: AgentRecord | undefined): ShownStatus | null => (a ? shownStatus(a, s.status) : null);

  let integration: IntegrationView | null = null;
  const r = files.integration;
  if (r) {
    const log = lastLog(r);
    integration = {
      state: r.status, command: r.command?.slice(0, 2000) ?? null, rounds: r.rounds.length, timedOut: r.rounds.at(-1)?.timedOut ?? false,
      log: log && written.has(log) ? log.slice(0, 500) : null, agentId: st.integration?.id ?? null,
    };
  } else if (st.integration) {
    const i = status(st.integration);
    const running = (i !== null && WORKING.has(i)) || st.fixers.some((f) => WORKING.has(shownStatus(f, s.status)));
    integration = { state: running ? 'running' : 'waiting', command: null, rounds: 0, timedOut: false, log: null, agentId: st.integration.id };
  }

  let harden: PipelineView['harden'] = null;
  const t = files.tally;
  if (t) {
    const sorted = [...t.findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
    harden = {
      state: t.enabled ? 'done' : 'off', critical: t.critical, major: t.major, minor: t.minor,
      findings: sorted.slice(0, FINDINGS_SHOWN).map(shortFinding), more: Math.max(0, sorted.length - FINDINGS_SHOWN),
    };
  } else if (st.hardeners.length) {
    const running = st.hardeners.some((h) => WORKING.has(shownStatus(h, s.status)));
    harden = { state: running ? 'running' : 'waiting', critical: 0, major: 0, minor: 0, findings: [], more: 0 };
  } else if (st.integration) {
    // The pipeline ran (it has an integration step) without hardeners: the setting turned it off.
    harden = { state: 'off', critical: 0, major: 0, minor: 0, findings: [], more: 0 };
  }

  const shipped = files.ship;
  const blockers = shipped ? [] : settledRun(s, st) ? shipBlockers(s, files) : [];
  const ship: PipelineView['ship'] = {
    state: shipped ? 'shipped' : !settledRun(s, st) ? 'waiting' : blockers.length ? 'refused' : 'ready',
    blockers: blockers.map((b) => b.slice(0, 500)),
    branch: shipped?.branch.slice(0, 300) ?? null, commit: shipped?.commit.slice(0, 80) ?? null,
    pushedTo: shipped?.pushedTo?.slice(0, 300) ?? null, headMoved: shipped?.headMoved ?? false,
  };
  return { integration, harden, ship };
}

