/** Agent transcripts: what every agent attempt did, one JSONL file per agent (see entry.ts). */
export { TranscriptEntrySchema, type TranscriptEntry, type TranscriptEntryInput, type TranscriptEntryType } from './entry';
export { parseTranscript, readTranscript, type TranscriptRead } from './read';
export { formatTranscript } from './format';
export { transcriptFile, TRANSCRIPTS_DIR } from './paths';
export { AgentTranscript, Transcripts, type AttemptStart, type TranscriptEvent, type TranscriptsOptions } from './writer';
export { sendRecorded } from './record';
