import { agentRecord, type AddedLeaf, type AddLeafContext, type LeafRequest } from '../pattern';
import { CONSENSUS_ID, EXPERTS_GROUP } from './compile';
import type { PanelPlan } from './plan';

/**
 * An expert added to a panel: it needs its own perspective (the panel's checks refuse one that
 * repeats another's), takes the next id, and the consensus weighs it too. The quorum, when the
 * plan set none, follows the new number of experts.
 */
export function addPanelExpert(plan: PanelPlan, leaf: LeafRequest, ctx: AddLeafContext): AddedLeaf<PanelPlan> {
  if (leaf.group !== EXPERTS_GROUP) return { ok: false, errors: [`A panel's experts are in the group "${EXPERTS_GROUP}"; got "${leaf.group}"`] };
  if (!leaf.perspective) return { ok: false, errors: ['A panel expert needs a perspective (a role such as "SRE" or "security reviewer"), distinct from the others\''] };
  const consensus = ctx.agents.find((a) => a.id === CONSENSUS_ID);
  if (!consensus) return { ok: false, errors: [`The panel has no ${CONSENSUS_ID} record in the ledger`] };
  let n = 0;
  for (const id of [...plan.experts.map((e) => e.id), ...ctx.agents.map((a) => a.id)]) {
    const m = /^e(\d+)$/.exec(id);
    if (m) n = Math.max(n, Number(m[1]));
  }
  const id = `e${n + 1}`;
  const expert = { id, perspective: leaf.perspective, task: leaf.task, scope: leaf.scope, tier: leaf.tier };
  const experts = [...plan.experts, expert];
  return {
    ok: true,
    plan: { ...plan, experts },
    agent: agentRecord(ctx.config, {
      id, role: 'expert', domain: EXPERTS_GROUP, tier: leaf.tier, task: `${leaf.perspective} — ${leaf.task}`,
      scope: leaf.scope, dependsOn: [], outputFile: `experts/${id}.md`,
    }),
    dependents: [{ id: consensus.id, dependsOn: [...consensus.dependsOn, id] }],
    groups: [{ id: EXPERTS_GROUP, label: `Experts (${experts.length})` }],
  };
}
