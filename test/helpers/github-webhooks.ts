import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { githubSignature } from './sign';

/** A parsed fixture: free to change before it is sent. */
export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The parsed JSON of `test/fixtures/github/<name>`. */
export function githubFixture(name: string): Json {
  return JSON.parse(readFileSync(join(__dirname, '../fixtures/github', name), 'utf8')) as Json;
}

/** A workflow_run body: run `id` (number `number`, default `id`) on `branch` (default main), in progress or completed. */
export function workflowRunBody(run: {
  id: number;
  number?: number;
  branch?: string;
  state: 'in_progress' | 'success' | 'failure';
}): string {
  const payload = githubFixture(
    run.state === 'in_progress'
      ? 'workflow_run.in_progress.json'
      : `workflow_run.completed.${run.state}.json`,
  );
  Object.assign(payload.workflow_run, {
    id: run.id,
    run_number: run.number ?? run.id,
    head_branch: run.branch ?? 'main',
  });
  return JSON.stringify(payload);
}

/** A completed workflow_job body: job `jobId` of run `runId`, on `branch` (default main), named `name` (default the fixture's). */
export function workflowJobBody(job: {
  runId: number;
  jobId: number;
  name?: string;
  branch?: string;
  conclusion: 'success' | 'failure';
}): string {
  const payload = githubFixture(`workflow_job.completed.${job.conclusion}.json`);
  Object.assign(payload.workflow_job, {
    id: job.jobId,
    run_id: job.runId,
    head_branch: job.branch ?? 'main',
    ...(job.name !== undefined && { name: job.name }),
  });
  return JSON.stringify(payload);
}

/** POSTs `body` to `<url>/hooks/github` as GitHub sends event `event`, signed with `secret`. */
export function postGithub(
  url: string,
  secret: string,
  event: string,
  body: string,
  delivery: string = randomUUID(),
) {
  return request(url)
    .post('/hooks/github')
    .set('content-type', 'application/json')
    .set('x-github-event', event)
    .set('x-github-delivery', delivery)
    .set('x-hub-signature-256', githubSignature(secret, body))
    .send(body);
}
