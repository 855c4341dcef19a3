/** The GitHub `workflow_job` webhook the benchmark sends, signed the way GitHub signs it. */
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The source secret in the benchmark's config. */
export const githubSecret = 'bench-secret';

/** The project root: the nearest folder above this file with a package.json (works from bench/ and dist/bench/). */
export const projectRoot: string = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
})();

const fixturePath = join(projectRoot, 'test', 'fixtures', 'github', 'workflow_job.completed.failure.json');

interface WorkflowJobPayload {
  workflow_job: { id: number; run_id: number; [key: string]: unknown };
  [key: string]: unknown;
}

/** The fixture exactly as stored (its bytes are what is signed). */
export const fixtureBody: Buffer = readFileSync(fixturePath);

/** `sha256=<hex HMAC>` of `body`, GitHub's `X-Hub-Signature-256`. */
export function githubSignature(body: Buffer): string {
  return `sha256=${createHmac('sha256', githubSecret).update(body).digest('hex')}`;
}

/** Delivery ids unique within this run (and across runs, thanks to the random tag). */
export function deliveryIds(): () => string {
  const tag = randomBytes(4).toString('hex');
  let n = 0;
  return () => `bench-${tag}-${(n++).toString(36)}`;
}

/** Headers of one GitHub `workflow_job` delivery of a body with the given signature. */
export function githubHeaders(signature: string, deliveryId: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/bench',
    'x-github-event': 'workflow_job',
    'x-github-delivery': deliveryId,
    'x-hub-signature-256': signature,
  };
}

/**
 * Bodies that are each a different job of a different run (so the router's content dedup lets every one
 * through and each event has its own run state), the same size as the fixture give or take a few bytes.
 * `jobId(i)` is what the relay reports as `data.job.id` in the delivered notification. The body is spliced
 * from a serialized template, not serialized per request: the load client must stay cheap.
 */
export function distinctJobs(): { body(i: number): Buffer; jobId(i: number): string } {
  const template = JSON.parse(fixtureBody.toString('utf8')) as WorkflowJobPayload;
  const jobBase = 90_000_000_000 + Math.floor(Math.random() * 1_000_000) * 1_000_000;
  const runBase = 80_000_000_000 + Math.floor(Math.random() * 1_000_000) * 1_000_000;
  const jobMark = '"\u0000job\u0000"';
  const runMark = '"\u0000run\u0000"';
  template.workflow_job.id = 0;
  template.workflow_job.run_id = 0;
  const text = JSON.stringify(template)
    .replace('"id":0', `"id":${jobMark}`)
    .replace('"run_id":0', `"run_id":${runMark}`);
  const [head = '', rest = ''] = text.split(jobMark);
  const [middle = '', tail = ''] = rest.split(runMark);
  return {
    body: (i) => Buffer.from(`${head}${jobBase + i}${middle}${runBase + i}${tail}`),
    jobId: (i) => String(jobBase + i),
  };
}
