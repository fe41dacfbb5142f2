/** Agent definitions in Claude Code's format (`.claude/agents/*.md`): finding, parsing, planning with and running them. */
export { parseDefinition, DEFINITION_MODELS, AGENT_NAME, type AgentDefinition, type DefinitionError, type DefinitionModel } from './definition';
export {
  loadAgentDefinitions, DEFINITION_SOURCES, NO_AGENTS, MAX_DEFINITION_BYTES, MAX_DEFINITION_FILES,
  type AgentCatalog, type FoundDefinition, type ShadowedDefinition, type DefinitionSource, type LoadOptions,
} from './load';
export { CLAUDE_TOOL_MAP, ALWAYS_GIVEN, mappedTools, intersectTools, toolNotes } from './tools';
export {
  plannerAgentsBlock, plannerSummary, roleToolsOf, unknownAgentErrors, AgentFieldSchema, applyDefinitions,
  readRunDefinitions, runDefinitionsJson, RUN_DEFINITIONS_FILE, type RunDefinition,
} from './catalog';
