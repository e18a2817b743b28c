/**
 * Tool logs are kept in the bundle for diagnosis, but bundles must be
 * byte-identical for the same inputs, so the lines that carry run times or
 * CPU/memory figures are dropped.
 */
const VOLATILE = [/\bCPU:/, /\btime\b.*\d+(\.\d+)?\s*(s|sec|seconds|ms)\b/i, /\bMEM:/, /Logfile hash/, /\bpeak memory\b/i, /Elapsed/i];

export function sanitizeLog(text: string): string {
  return (
    text
      .split('\n')
      .filter((l) => !VOLATILE.some((re) => re.test(l)))
      .map((l) => l.trimEnd())
      .join('\n')
      .trimEnd() + '\n'
  );
}
