/**
 * What a build did after its builders, as the Summary view and the dashboard both show it: the
 * integration check on the assembled change, the hardening tally (criticals listed as what blocks
 * Ship) and Ship. Every string from the host goes in as text.
 */
import type { IntegrationView, PipelineFinding, PipelineView } from '../src/shared/protocol';
import { plural } from '../src/shared/words';
import { h, section } from './dom';
import { link, tag } from './toolkit';

function integrationLine(i: IntegrationView, open: (path: string) => void): Node[] {
  const command = i.command ? ` (\`${i.command}\`)` : '';
  const fixes = i.rounds > 1 ? `, after ${plural(i.rounds - 1, 'fix round')}` : '';
  const parts: Node[] = [];
  switch (i.state) {
    case 'passed': parts.push(h('span', `Passed on the assembled change${command}${fixes}.`)); break;
    case 'failed': parts.push(h('span', `Failed${i.timedOut ? ' (timed out)' : ''} on the assembled change${command} after ${plural(i.rounds, 'round')}: the change is not shippable.`)); break;
    case 'no-check': parts.push(h('span', 'No check command is set, so nothing was run on the assembled change.')); break;
    case 'nothing-merged': parts.push(h('span', 'Nothing was merged: no builder\'s change was approved.')); break;
    case 'running': parts.push(h('span', 'Running on the assembled change…')); break;
    case 'waiting': parts.push(h('span', 'Runs once the approved changes are assembled.')); break;
  }
  if (i.log) {
    const a = link('Open the log', () => open(i.log!), i.log);
    a.id = 'integration-log';
    a.dataset.file = i.log;
    parts.push(document.createTextNode(' '), a);
  }
  return parts;
}

function hardenLine(hv: NonNullable<PipelineView['harden']>): string {
  switch (hv.state) {
    case 'off': return 'Off: hardening is turned off in the settings, so no auditor read the combined change.';
    case 'waiting': return 'The auditors read the combined change once the integration check has run.';
    case 'running': return 'The auditors are reading the combined change…';
    case 'done': return `${hv.critical} critical · ${hv.major} major · ${hv.minor} minor${hv.critical ? ' — critical findings block Ship.' : '.'}`;
  }
}

function shipLine(s: PipelineView['ship']): string {
  switch (s.state) {
    case 'shipped': {
      const commit = s.commit ? ` (commit ${s.commit.slice(0, 10)})` : '';
      const pushed = s.pushedTo ? `, pushed to ${s.pushedTo}` : ', not pushed';
      const moved = s.headMoved ? ' Made from the run\'s base: your HEAD had moved since the run started.' : '';
      return `Shipped as one commit on ${s.branch ?? 'a new branch'}${commit}${pushed}.${moved}`;
    }
    case 'ready': return 'Ready: nothing blocks Ship to Branch. Your branch and working tree stay as they are.';
    case 'refused': return `Ship is refused: ${s.blockers.join('; ')}.`;
    case 'waiting': return 'Possible once the change is assembled, checked and hardened.';
  }
}

function finding(f: PipelineFinding): HTMLElement {
  const li = h('li', undefined, `finding severity-${f.severity}`);
  li.dataset.finding = f.id;
  const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : null;
  li.append(tag(f.severity, `severity severity-${f.severity}`), h('span', ` ${f.concern}`, 'muted'));
  if (where) li.append(h('span', ' · '), h('code', where));
  li.append(h('span', ` — ${f.text}`));
  const tail = [f.owner ? `owner ${f.owner}` : null, f.status === 'open' ? null : f.status].filter(Boolean).join(' · ');
  if (tail) li.append(h('span', ` (${tail})`, 'muted'));
  return li;
}

function findingList(items: readonly PipelineFinding[], className: string): HTMLElement {
  const list = h('ul', undefined, `findings ${className}`);
  list.append(...items.map(finding));
  return list;
}

/** The three stages after the builders, as a definition list, with the criticals spelled out. */
export function renderPipelineStatus(p: PipelineView, open: (path: string) => void): HTMLElement {
  const dl = h('dl', undefined, 'pipeline-status');
  const row = (label: string, id: string, state: string, ...value: Node[]) => {
    // Criticals make a finished hardening as red as a failed check: both stop Ship.
    const blocking = id === 'harden-status' && (p.harden?.critical ?? 0) > 0;
    const dd = h('dd', undefined, blocking ? 'stage-blocking' : `stage-${state}`);
    dd.id = id;
    dd.dataset.state = state;
    dd.append(...value);
    dl.append(h('dt', label), dd);
  };
  if (p.integration) row('Integration check', 'integration-status', p.integration.state, ...integrationLine(p.integration, open));
  if (p.harden) row('Hardening', 'harden-status', p.harden.state, h('span', hardenLine(p.harden)));
  row('Ship', 'ship-status', p.ship.state, h('span', shipLine(p.ship)));
  const parts: Node[] = [dl];
  const hv = p.harden;
  if (hv?.findings.length) {
    const critical = hv.findings.filter((f) => f.severity === 'critical');
    const rest = hv.findings.filter((f) => f.severity !== 'critical');
    if (critical.length) {
      parts.push(h('p', `Blocking Ship (${plural(critical.length, 'critical finding')}):`, 'reason blocking-title'), findingList(critical, 'critical-findings'));
    }
    if (rest.length) {
      const fold = document.createElement('details');
      fold.className = 'other-findings';
      const major = rest.filter((f) => f.severity === 'major').length;
      fold.append(h('summary', `${plural(major, 'major finding')} (sent to their builder's fix round), ${plural(rest.length - major, 'minor finding')}${hv.more ? `, ${hv.more} more in harden/tally.json` : ''}`), findingList(rest, 'listed-findings'));
      parts.push(fold);
    }
  }
  return section('Integration, hardening and ship', 'build-pipeline', ...parts);
}
