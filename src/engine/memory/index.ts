/** Memory (DESIGN §3): lessons a build proposes, the user accepts into memory.md, and later runs read. */
export { MEMORY_FILE, MEMORY_MAX_BYTES, appendMemory, memoryPath, parseMemory, readMemory, type MemoryRead } from './memoryFile';
export { loadMemoryBlock, memoryForPrompt, type MemoryBlock } from './budget';
export { extractLessons, LESSON_KINDS, type Lesson, type LessonKind } from './lessons';
export {
  decideLessons, describeProposals, proposeAtRunEnd, proposeLessons, readProposals, PROPOSALS_FILE,
  type DecisionResult, type LessonDecision, type LessonProposal, type LessonProposals,
} from './proposals';
