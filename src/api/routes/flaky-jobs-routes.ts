import { Type, type Static } from '@sinclair/typebox';
import { Router } from 'express';
import picomatch from 'picomatch';
import { flakyJobsKey } from '../../pipeline/flaky-jobs-key';
import { ApiError } from '../api-error';
import type { ApiDeps } from '../api-deps';
import { allowOnly, listParam, parseLimit } from '../parse-query';

/** One job name and how often it passed after failing on a re-run. */
export const flakyJobSchema = Type.Object(
  {
    repository: Type.String(),
    pipeline: Type.String({ description: 'pipeline name' }),
    job: Type.String({ description: 'job name' }),
    count: Type.Integer({ minimum: 1, description: 'times it passed after a failed try in the same run' }),
  },
  { additionalProperties: false, $id: 'https://ci-relay.dev/schemas/flaky-job.json', title: 'FlakyJob' },
);
/** One flaky job. */
export type FlakyJob = Static<typeof flakyJobSchema>;

/** `GET /v1/flaky-jobs`: the flakiest jobs first, as the router counted them. */
export function flakyJobsRoutes(deps: ApiDeps): Router {
  const { redis, prefix, authorize } = deps;
  const router = Router();
  router.get('/flaky-jobs', authorize('read'), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    allowOnly(query, ['repository', 'limit']);
    const limit = parseLimit(query);
    let tests: Array<(v: string) => boolean> | undefined;
    try {
      tests = listParam(query, 'repository')?.map((glob) => picomatch(glob, { dot: true }));
    } catch (e) {
      throw new ApiError('invalid_parameter', `"repository": ${(e as Error).message}`);
    }
    const scored = await redis.zrevrange(flakyJobsKey(prefix), 0, -1, 'WITHSCORES');
    const items: FlakyJob[] = [];
    for (let i = 0; i + 1 < scored.length && items.length < limit; i += 2) {
      const [repository = '', pipeline = '', job = ''] = (scored[i] ?? '').split('\n');
      if (tests && !tests.some((t) => t(repository))) continue;
      items.push({ repository, pipeline, job, count: Number(scored[i + 1]) });
    }
    res.json({ items });
  });
  return router;
}
