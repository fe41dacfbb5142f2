import { SIMULATED_LABEL, roleOf } from './conversation';
import { consensusReply } from './roles/consensus';
import { coordinatorReply } from './roles/coordinator';
import { expertReply } from './roles/expert';
import { finalReply } from './roles/final';
import { followUpReply } from './roles/followUp';
import { mapperReply } from './roles/mapper';
import { mapReduceFinalReply, reducerReply } from './roles/reducer';
import { planReply } from './roles/planner';
import { supervisorReply } from './roles/supervisor';
import { isPipelineFinal, pipelineFinalReply, stageReply } from './roles/pipeline';
import { workerReply } from './roles/worker';
import { auditorReply, isWorkflowFinal, reflectorReply, workflowFinalReply } from './roles/workflow';
import { builderReply, reviewerReply, scoutReply } from './roles/build';
import { fixerReply } from './roles/fixer';
import { hardenerReply } from './roles/hardener';
import { architectReply, greenfieldBuilderReply, ownedFolders, scaffoldReply } from './roles/greenfield';
import type { Handler, ParsedRequest, Reply } from './types';

/**
 * The offline simulated model. It recognises the agent from the `# Role:` line of the system prompt
 * and answers like a reasonable agent of that role, deterministically: every decision comes from the
 * request's own conversation (and the workspace files it names), never from server-side memory, so a
 * request replayed gets the same answer.
 */
export function simulatedHandler(workspaceRoot: string): Handler {
  return (req) => simulate(req, workspaceRoot);
}

export function simulate(req: ParsedRequest, workspaceRoot: string): Reply {
  switch (roleOf(req)) {
    case 'planner':
      return planReply(req, workspaceRoot);
    case 'worker':
      return workerReply(req, workspaceRoot);
    case 'coordinator':
      return coordinatorReply(req);
    case 'final':
      if (isPipelineFinal(req)) return pipelineFinalReply(req);
      if (isWorkflowFinal(req)) return workflowFinalReply(req);
      return /of a map-reduce run/.test(req.system[0]?.text ?? '') ? mapReduceFinalReply(req) : finalReply(req);
    case 'stage':
      return stageReply(req, workspaceRoot);
    case 'supervisor':
      return supervisorReply(req);
    case 'mapper':
      return mapperReply(req);
    case 'reducer':
      return reducerReply(req);
    case 'expert':
      return expertReply(req);
    case 'consensus':
      return consensusReply(req);
    case 'scout':
      return scoutReply(req, workspaceRoot);
    case 'builder':
      return ownedFolders(req).length ? greenfieldBuilderReply(req) : builderReply(req);
    case 'architect':
      return architectReply(req);
    case 'scaffolder':
      return scaffoldReply(req);
    case 'reviewer':
      return reviewerReply(req);
    case 'fixer':
      return fixerReply(req);
    case 'hardener':
      return hardenerReply(req);
    case 'auditor':
      return auditorReply(req);
    case 'reflector':
      return reflectorReply(req);
    case 'follow-up':
      return followUpReply(req);
    default:
      return {
        kind: 'message',
        content: [{ type: 'text', text: `${SIMULATED_LABEL}\n\nThe simulator answers planner, worker, coordinator and final prompts (a system prompt starting with "# Role: …"); this request had none.` }],
      };
  }
}
