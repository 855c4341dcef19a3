/** The sorted set of flaky job counts, members `repository\npipeline\njob`, scores the count. */
export function flakyJobsKey(prefix: string): string {
  return `${prefix}:flaky-jobs`;
}
