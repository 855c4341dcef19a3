import type { Redis } from 'ioredis';
import type { CiEvent } from '../event/ci-event-schema';
import { seriesKey } from '../event/run-identity';
import { defineScript } from '../redis/define-script';
import { collectPage, type Page, type PageRequest } from './collect-page';
import type { CompiledEventFilter } from './event-filter';
import { matchesRoute } from '../routing/match-routes';
import { readNewestFirst } from './read-newest-first';
import { recordKeys } from './record-keys';
import { nextRunItem, toRunItem, type RunItem, type StoredRunItem } from './run-board-item';

// Compare-and-set of one board line: written only if it is still what the caller read, so two workers
// applying events of one run at once cannot lose either (the loser reads again and retries).
const casScript = `
local current = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1
`;

/** The run board: the latest run of each pipeline series, with its jobs. */
export interface RunBoard {
  /** Applies `event` to its series' line; resolves to the new line, or undefined when nothing changed. */
  apply(event: CiEvent): Promise<RunItem | undefined>;
  list(filter: CompiledEventFilter, page: PageRequest): Promise<Page<RunItem>>;
  get(id: string): Promise<RunItem | undefined>;
}

/** The fields of a board line that route match keys read, as the event shape they expect. */
function asEvent(item: RunItem): CiEvent {
  return {
    source: item.source,
    provider: item.provider,
    repository: { name: item.repository },
    ...(item.branch !== undefined && { branch: item.branch }),
    ...(item.tag !== undefined && { tag: item.tag }),
    pipeline: { id: item.runId, name: item.pipeline },
    kind: 'pipeline',
    status: item.status,
    ...(item.transition !== undefined && { transition: item.transition }),
  } as CiEvent;
}

/** The run board in one Redis hash (line per series) and a sorted set of series by last update. */
export function createRunBoard(deps: { redis: Redis; prefix: string }): RunBoard {
  const { redis, prefix } = deps;
  const keys = recordKeys(prefix);
  const cas = defineScript(redis, 'ciRelayBoardCas', 2, casScript);
  return {
    async apply(event) {
      const series = seriesKey(event);
      for (let tries = 0; tries < 20; tries++) {
        const current = (await redis.hget(keys.board, series)) ?? '';
        const next = nextRunItem(series, current ? (JSON.parse(current) as StoredRunItem) : undefined, event);
        if (!next) return undefined;
        const json = JSON.stringify(next);
        if (
          (await cas([keys.board, keys.boardIndex], [series, current, json, Date.parse(next.updatedAt)])) ===
          1
        )
          return toRunItem(next);
      }
      throw new Error(`[runs] board line ${series} kept changing; gave up after 20 tries`);
    },
    async get(id) {
      const json = await redis.hget(keys.board, id);
      return json ? toRunItem(JSON.parse(json) as StoredRunItem) : undefined;
    },
    async list(filter, page) {
      // The board has one line per series, far fewer than events: read it in time order and test each.
      return collectPage({
        positions: readNewestFirst(
          redis,
          [keys.boardIndex],
          filter,
          page.cursor,
          Math.min(page.limit * 2, 500),
        ),
        load: async (ids) =>
          ids.length === 0
            ? []
            : (await redis.hmget(keys.board, ...ids)).map((json) =>
                json ? toRunItem(JSON.parse(json) as StoredRunItem) : undefined,
              ),
        test: (item) => matchesRoute(filter.route, asEvent(item)),
        limit: page.limit,
      });
    },
  };
}
