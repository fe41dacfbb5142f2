/** Cheap, real facts about a source file, for the simulated reports. */
import { noun, plural } from '../shared/words';

export interface FileFacts {
  path: string;
  lines: number;
  /** Lines matching a known risky pattern, with what the pattern means. */
  risks: Array<{ line: number; label: string }>;
  /** Line numbers (1-based) of TODO / FIXME / HACK / XXX markers. */
  markers: number[];
  functions: number;
  exports: number;
  longestLine: number;
}

/** How much a finding matters, most first: what an audit ranks and what its summary leads with. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * Risky patterns a static look can spot; labels name the risk so findings rank as security ones.
 * Critical: exploitable as written (injection, a secret anyone can read). High: a weakness an
 * attacker can work at (timing, weak hashes, XSS, no TLS checks). Medium: worth fixing soon.
 */
const RISKS: Array<{ re: RegExp; label: string; severity: Severity }> = [
  { re: /\b(?:SELECT|INSERT|UPDATE|DELETE)\b[^`'"\n]*(?:\$\{|['"]\s*\+)/i, label: 'query built from interpolated values (possible SQL injection)', severity: 'critical' },
  { re: /createHash\(\s*['"](?:md5|sha1)['"]/i, label: 'weak hash algorithm (md5/sha1), insecure for passwords or signatures', severity: 'high' },
  { re: /\b\w*(?:secret|password|passwd|token|api_?key)\w*\s*[:=][^;\n]*['"][^'"\s]{3,}['"]/i, label: 'hard-coded secret or credential default', severity: 'critical' },
  { re: /\b\w*(?:mac|token|signature|secret)\w*\s*[!=]==|[!=]==\s*\S*(?:mac|token|signature)\b/i, label: 'secret compared with ===, timing-unsafe', severity: 'high' },
  { re: /\beval\s*\(|\bnew Function\s*\(/, label: 'dynamic code execution (eval), unsafe', severity: 'critical' },
  { re: /\bchild_process\b|\bexecSync\s*\(|\bexec\s*\(\s*[`'"]/, label: 'shell command execution, check for command injection', severity: 'critical' },
  { re: /Math\.random\s*\(/, label: 'Math.random is not cryptographically secure', severity: 'medium' },
  { re: /\.innerHTML\s*=|dangerouslySetInnerHTML/, label: 'raw HTML insertion (possible XSS), unsafe', severity: 'high' },
  { re: /rejectUnauthorized\s*:\s*false|NODE_TLS_REJECT_UNAUTHORIZED/, label: 'TLS verification disabled, insecure', severity: 'high' },
];

/**
 * The severity of a finding line: the risk it names when it is one of ours, else a guess from its
 * words (another model's report, a scripted one): security words high, defects medium, the rest
 * (sizes, declaration counts) low.
 */
export function severityOf(finding: string): Severity {
  const known = RISKS.find((r) => finding.includes(r.label));
  if (known) return known.severity;
  if (/secur|vulnerab|secret|credential|inject|travers|unsafe|insecure|xss|critical/i.test(finding)) return 'high';
  if (/TODO|FIXME|HACK|\bbug|error|fail/i.test(finding)) return 'medium';
  return 'low';
}

const MARKER = /\b(?:TODO|FIXME|HACK|XXX)\b/;
const FUNCTION = [
  /\bfunction\b\s*\*?\s*[\w$]*\s*\(/,
  /\b(?:const|let|var)\s+[\w$]+\s*=\s*(?:async\s*)?(?:\([^)]*\)|[\w$]+)\s*=>/,
  /^\s*(?:async\s+)?def\s+\w+\s*\(/,
  /^\s*func\s+(?:\([^)]*\)\s*)?\w+\s*\(/,
  /^\s*(?:pub\s+)?(?:async\s+)?fn\s+\w+/,
  /^\s*(?:(?:public|private|protected|static|async|override|readonly)\s+)+[\w$]+\s*\([^)]*\)\s*(?::\s*[^={]+)?\{/,
];
const EXPORT = /^\s*(?:export\s+(?:default\s+)?(?:async\s+)?(?:function|class|const|let|var|interface|type|enum|abstract)|module\.exports|exports\.\w+\s*=|pub\s+(?:fn|struct|enum|trait))/;

export function factsOf(path: string, text: string): FileFacts {
  const lines = text.length === 0 ? [] : text.replace(/\n$/, '').split('\n');
  const markers: number[] = [];
  const risks: FileFacts['risks'] = [];
  let functions = 0;
  let exports = 0;
  let longestLine = 0;
  lines.forEach((line, i) => {
    if (MARKER.test(line)) markers.push(i + 1);
    for (const r of RISKS) if (r.re.test(line)) risks.push({ line: i + 1, label: r.label });
    if (FUNCTION.some((re) => re.test(line))) functions++;
    if (EXPORT.test(line)) exports++;
    longestLine = Math.max(longestLine, line.length);
  });
  return { path, lines: lines.length, risks, markers, functions, exports, longestLine };
}

/** One markdown bullet per notable fact of a file. */
export function findingsOf(f: FileFacts): string[] {
  const out = f.risks.map((r) => `\`${f.path}\` line ${r.line}: ${r.label}`);
  if (f.markers.length) {
    const where = f.markers.slice(0, 5).join(', ') + (f.markers.length > 5 ? ', …' : '');
    out.push(`\`${f.path}\`: ${plural(f.markers.length, 'TODO/FIXME marker')} (${noun(f.markers.length, 'line')} ${where})`);
  }
  if (f.functions) out.push(`\`${f.path}\`: ${plural(f.functions, 'function-like declaration')}, ${plural(f.exports, 'export')}`);
  if (f.lines > 300) out.push(`\`${f.path}\`: ${f.lines} lines — large enough to hold more than one concern (line 1–${f.lines})`);
  if (f.longestLine > 160) out.push(`\`${f.path}\`: longest line is ${f.longestLine} characters`);
  if (!out.length) out.push(`\`${f.path}\`: ${f.lines} lines, no markers or declarations stood out`);
  return out;
}
