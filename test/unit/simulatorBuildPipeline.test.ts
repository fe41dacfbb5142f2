import { describe, expect, it } from 'vitest';
import { reportedRepairs } from '../../src/simulator/roles/fixer';
import { addedLines, hardenerReply } from '../../src/simulator/roles/hardener';
import type { ParsedRequest } from '../../src/simulator/types';

const DIFF = [
  'diff --git a/lib.js b/lib.js', '--- a/lib.js', '+++ b/lib.js', '@@ -3,2 +3,3 @@',
  ' const a = 1;', '-const b = 2;', '+const b = eval(input);', '+// PLANTED-MAJOR', ' module.exports = a;',
].join('\n');

const request = (concern: string): ParsedRequest => ({
  model: 'm', maxTokens: 100, stream: false, beta: false, body: {}, tools: [], toolChoice: null,
  system: [{ type: 'text', text: '# Role: hardener\n' }],
  messages: [{ role: 'user', content: [{ type: 'text', text: `# The combined change (base → assembled tree), 1 file\n\`\`\`diff\n${DIFF}\n\`\`\`\n` }, { type: 'text', text: `# Your concern: ${concern}\n` }] }],
});

const findingsOf = (concern: string): unknown => {
  const reply = hardenerReply(request(concern));
  if (reply.kind !== 'message' || reply.content[0].type !== 'tool_use') throw new Error('expected a submit_findings call');
  return reply.content[0].input.findings;
};

describe('the simulated build pipeline roles', () => {
  it('number added lines as the new file does', () => {
    expect(addedLines(DIFF)).toEqual([{ file: 'lib.js', line: 4, text: 'const b = eval(input);' }, { file: 'lib.js', line: 5, text: '// PLANTED-MAJOR' }]);
  });

  it('flag a planted defect as critical security and a planted bug as major correctness, with file and line', () => {
    expect(findingsOf('security')).toEqual([expect.objectContaining({ severity: 'critical', file: 'lib.js', line: 4 })]);
    expect(findingsOf('correctness')).toEqual([expect.objectContaining({ severity: 'major', file: 'lib.js', line: 5 })]);
    expect(findingsOf('tests')).toEqual([]);
    expect(findingsOf('style')).toEqual([expect.objectContaining({ severity: 'minor', file: 'lib.js', line: 4 })]);
  });

  it('repair only what the check reported, in files the change touched', () => {
    const out = "$ node check.js\n# in integration, exit code 1\napp.js:2: 'total' should be 'sum'\nother.js:1: 'x' should be 'y'\n";
    expect(reportedRepairs(out, ['app.js', 'lib.js'])).toEqual([{ file: 'app.js', line: 2, from: 'total', to: 'sum' }]);
    expect(reportedRepairs('Error: Cannot find module', ['app.js'])).toEqual([]);
  });
});
