/** Fix Findings: an audit run's findings, listed from its synthesis files, as a build's starting point. */
export { extractFindings, severityOf, type RawFinding } from './extract';
export { listRunFindings, selectFindings, type FindingsListing, type RunFindings } from './list';
export { findingsBlock, findingLine } from '../patterns/build/findingLines';
export { findingOutcomes, findingsSection, type FindingOutcome } from '../patterns/build/findingOutcomes';
