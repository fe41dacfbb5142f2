/**
 * Planning failed: the planner's answers did not give a valid plan. Here in plan/, below the
 * patterns, because the build pattern's own planning steps (architect, assign) throw it too.
 */
export class PlanError extends Error {
  constructor(message: string, readonly errors: string[]) {
    super(message);
    this.name = 'PlanError';
  }
}
