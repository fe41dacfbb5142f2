import { agentRecord, type AddedLeaf, type AddLeafContext, type LeafRequest } from '../pattern';
import { coordinatorId } from './compile';
import type { FanOutPlan } from './plan';

/** The next free number of a domain's workers (`a4` after a1–a3), past any id the ledger holds. */
function nextWorkerId(domain: string, taken: Iterable<string>): string {
  let n = 0;
  for (const id of taken) {
    // No regex built from the id: a domain read back from a ledger is text, not a pattern.
    const digits = id.startsWith(domain) ? id.slice(domain.length) : '';
    if (/^\d{1,9}$/.test(digits)) n = Math.max(n, Number(digits));
  }
  return `${domain}${n + 1}`;
}

/**
 * A worker added to a fan-out domain: the next id of the domain, appended to its workers in the
 * plan; its domain's coordinator waits for it too (the final step waits for the coordinator).
 */
export function addFanOutWorker(plan: FanOutPlan, leaf: LeafRequest, ctx: AddLeafContext): AddedLeaf<FanOutPlan> {
  const domain = plan.domains.find((d) => d.id === leaf.group);
  if (!domain) {
    return { ok: false, errors: [`Domain "${leaf.group}" is not in the plan; the domains are ${plan.domains.map((d) => `${d.id} (${d.name})`).join(', ')}`] };
  }
  const coordinator = ctx.agents.find((a) => a.id === coordinatorId(domain.id));
  if (!coordinator) return { ok: false, errors: [`Domain "${domain.id}" has no coordinator record (${coordinatorId(domain.id)}) in the ledger`] };
  const id = nextWorkerId(domain.id, [...domain.workers.map((w) => w.id), ...ctx.agents.map((a) => a.id)]);
  const worker = { id, task: leaf.task, scope: leaf.scope, tier: leaf.tier };
  return {
    ok: true,
    plan: { ...plan, domains: plan.domains.map((d) => (d.id === domain.id ? { ...d, workers: [...d.workers, worker] } : d)) },
    agent: agentRecord(ctx.config, {
      id, role: 'worker', domain: domain.id, tier: leaf.tier, task: leaf.task, scope: leaf.scope, dependsOn: [], outputFile: `workers/${id}.md`,
    }),
    dependents: [{ id: coordinator.id, dependsOn: [...coordinator.dependsOn, id] }],
  };
}
