import * as path from 'node:path';
import { isInside } from '../paths';
import type { ReviewDocument } from './pattern';
import { patternNamed, type AnyPlan } from './registry';

/**
 * The files a plan asks the user to approve with it (Pattern.reviewDocuments), each with its
 * absolute path: the plan review lists them with an edit action. A document whose file would
 * leave the run folder (a tampered plan) is left out.
 */
export async function planReviewDocuments(plan: AnyPlan, runDir: string): Promise<Array<ReviewDocument & { path: string }>> {
  const docs = await patternNamed(plan.pattern)?.reviewDocuments?.(plan, runDir) ?? [];
  return docs.flatMap((d) => {
    const abs = path.resolve(runDir, d.file);
    return isInside(runDir, abs) ? [{ ...d, path: abs }] : [];
  });
}
