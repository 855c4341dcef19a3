/** How many problems an answer or a log line lists before it only counts the rest. @defaultValue 5 */
export const listedProblems = 5;

/**
 * The first few problems joined with `; `, then `(and N more)`: a body with 100k unknown keys must not
 * become a 3.5 MB answer and log line. Each problem is also cut at 200 characters (a key can be long).
 */
export function summarizeProblems(problems: readonly string[], max = listedProblems): string {
  const shown = problems.slice(0, max).map((p) => (p.length > 200 ? `${p.slice(0, 199)}…` : p));
  const rest = problems.length - shown.length;
  return rest > 0 ? `${shown.join('; ')} (and ${rest} more)` : shown.join('; ');
}
