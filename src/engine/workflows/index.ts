/** Workflow files (`.orchestration/workflows/*.yaml`): finding, parsing and checking them, their parameters, templates and stage order. */
export * from './schema';
export { loadWorkflows, workflowsFolder, MAX_WORKFLOW_FILES, type LoadWorkflowsOptions } from './load';
export { parseWorkflow, MAX_WORKFLOW_BYTES, MAX_WORKFLOW_ALIASES, type ParsedWorkflow, type WorkflowParseOptions } from './parse';
export { resolveParams, MAX_PARAM_CHARS } from './params';
export { renderTemplate, placeholdersOf, type Placeholder, type TemplateVars } from './template';
export { stageOrder, upstreamOf, cyclesOf } from './graph';
