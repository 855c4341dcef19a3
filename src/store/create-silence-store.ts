import { Type, type Static } from '@sinclair/typebox';
import type { Redis } from 'ioredis';
import { monotonicFactory } from 'ulid';
import { routeMatchSchema, type RouteMatchConfig } from '../config/config-schema';
import type { CiEvent } from '../event/ci-event-schema';
import { stringEnum } from '../event/string-enum';
import { compileRoute } from '../routing/compile-route';
import { matchesRoute } from '../routing/match-routes';

/** `pending` (starts later), `active`, `expired` (ended, or expired by hand). */
export const silenceStates = ['pending', 'active', 'expired'] as const;
/** One silence state. */
export type SilenceState = (typeof silenceStates)[number];

const dateTime = (description: string) => Type.String({ format: 'date-time', description });

/** A silence as the API shows it. */
export const silenceSchema = Type.Object(
  {
    id: Type.String({ description: '`sil_` and a ULID' }),
    match: routeMatchSchema,
    startsAt: dateTime('from when it holds'),
    endsAt: dateTime('until when it holds; DELETE sets it to the moment of expiry'),
    createdBy: Type.String({ description: 'API key id or `oauth:<subject>`' }),
    comment: Type.String(),
    state: stringEnum(silenceStates),
    createdAt: dateTime('when it was made'),
    expiredBy: Type.Optional(Type.String({ description: 'who expired it early' })),
  },
  { additionalProperties: false, $id: 'https://ci-relay.dev/schemas/silence.json', title: 'Silence' },
);
/** A silence. */
export type Silence = Static<typeof silenceSchema>;

/** The body of `POST /v1/silences`. */
export const silenceRequestSchema = Type.Object(
  {
    match: routeMatchSchema,
    startsAt: Type.Optional(dateTime('default: now')),
    endsAt: dateTime('required: a silence always ends'),
    comment: Type.String({ minLength: 1, description: 'why; shown with every notification it silences' }),
    all: Type.Optional(
      Type.Boolean({
        description: 'must be true for a silence whose match is empty (it silences every notification)',
      }),
    ),
  },
  {
    additionalProperties: false,
    $id: 'https://ci-relay.dev/schemas/silence-request.json',
    title: 'SilenceRequest',
  },
);
/** The body of `POST /v1/silences`. */
export type SilenceRequest = Static<typeof silenceRequestSchema>;

type StoredSilence = Omit<Silence, 'state'>;

/** Silences in one Redis hash, shared by every instance; expired ones are dropped `keepExpiredMs` after they end. */
export interface SilenceStore {
  create(input: {
    match: RouteMatchConfig;
    startsAt: number;
    endsAt: number;
    comment: string;
    createdBy: string;
  }): Promise<Silence>;
  get(id: string): Promise<Silence | undefined>;
  /** Every silence, newest first. */
  list(): Promise<Silence[]>;
  /** Ends a silence now; resolves to it (unchanged when it had already ended), or undefined when unknown. */
  expire(id: string, by: string): Promise<Silence | undefined>;
  /** The active silence that matches `event`, if any (read from Redis now: route tests). */
  matching(event: CiEvent): Promise<Silence | undefined>;
  /**
   * The silences' version: a counter every create and expire bumps once its change is written. A reader
   * that keeps the silences in memory ({@link SilenceCache}) reads just this to know they still hold.
   */
  version(): Promise<number>;
  /** Every silence read into memory, with the version read just before them (in the same round trip). */
  view(): Promise<SilenceView>;
}

/** The silences held in memory, and the version they were read at. */
export interface SilenceView {
  version: number;
  /** The silence active now (at the store's clock) that matches `event`, if any. */
  match(event: CiEvent): Silence | undefined;
}

/** Throws with the key and pattern when a silence's match does not compile (a bad glob). */
export function compileSilenceMatch(match: RouteMatchConfig) {
  return compileRoute({ name: 'silence', sinks: ['-'], match });
}

/** Creates the silence store. */
export function createSilenceStore(deps: {
  redis: Redis;
  prefix: string;
  now?: () => number;
  /** @defaultValue 7 days */
  keepExpiredMs?: number;
}): SilenceStore {
  const { redis, prefix, now = Date.now, keepExpiredMs = 7 * 24 * 3600 * 1000 } = deps;
  const key = `${prefix}:silences`;
  // A key of its own: a cluster may put it in another slot than the hash, so it is bumped after the hash
  // is written (not atomically with it). A reader that sees the new version then reads the new hash.
  const versionKey = `${prefix}:silences:version`;
  const ulid = monotonicFactory();
  // Compiled matches by silence id: the router checks every notification against every silence.
  const compiled = new Map<string, ReturnType<typeof compileSilenceMatch> | null>();
  const compiledMatch = (s: StoredSilence) => {
    let route = compiled.get(s.id);
    if (route === undefined) {
      try {
        route = compileSilenceMatch(s.match);
      } catch {
        // Checked when it was made; a silence that no longer compiles matches nothing.
        route = null;
      }
      if (compiled.size > 1000) compiled.clear();
      compiled.set(s.id, route);
    }
    return route;
  };
  const stateAt = (s: StoredSilence, at: number): SilenceState =>
    Date.parse(s.endsAt) <= at ? 'expired' : Date.parse(s.startsAt) > at ? 'pending' : 'active';
  const withState = (s: StoredSilence, at: number): Silence => ({ ...s, state: stateAt(s, at) });
  /** The silences of `stored` active at `at()` that match an event (time is read at each call). */
  const matcherOf =
    (stored: readonly StoredSilence[], at: () => number) =>
    (event: CiEvent): Silence | undefined => {
      const time = at();
      for (const s of stored) {
        if (stateAt(s, time) !== 'active') continue;
        const route = compiledMatch(s);
        if (route && matchesRoute(route, event)) return withState(s, time);
      }
      return undefined;
    };
  const version = async () => Number((await redis.get(versionKey)) ?? 0);
  const bump = async () => void (await redis.incr(versionKey));
  const all = async (): Promise<StoredSilence[]> => {
    const hash = await redis.hgetall(key);
    const at = now();
    const kept: StoredSilence[] = [];
    const old: string[] = [];
    for (const [id, json] of Object.entries(hash)) {
      const s = JSON.parse(json) as StoredSilence;
      if (Date.parse(s.endsAt) + keepExpiredMs < at) old.push(id);
      else kept.push(s);
    }
    if (old.length > 0) await redis.hdel(key, ...old);
    return kept;
  };
  return {
    async create(input) {
      const at = now();
      const stored: StoredSilence = {
        id: `sil_${ulid(at)}`,
        match: input.match,
        startsAt: new Date(input.startsAt).toISOString(),
        endsAt: new Date(input.endsAt).toISOString(),
        createdBy: input.createdBy,
        comment: input.comment,
        createdAt: new Date(at).toISOString(),
      };
      await redis.hset(key, stored.id, JSON.stringify(stored));
      await bump();
      return withState(stored, at);
    },
    async get(id) {
      const json = await redis.hget(key, id);
      return json === null ? undefined : withState(JSON.parse(json) as StoredSilence, now());
    },
    async list() {
      const at = now();
      return (await all()).map((s) => withState(s, at)).sort((a, b) => b.id.localeCompare(a.id));
    },
    async expire(id, by) {
      const json = await redis.hget(key, id);
      if (json === null) return undefined;
      const stored = JSON.parse(json) as StoredSilence;
      const at = now();
      if (Date.parse(stored.endsAt) <= at) return withState(stored, at);
      const ended: StoredSilence = {
        ...stored,
        endsAt: new Date(Math.max(at, Date.parse(stored.startsAt))).toISOString(),
        expiredBy: by,
      };
      await redis.hset(key, id, JSON.stringify(ended));
      await bump();
      return withState(ended, at);
    },
    async matching(event) {
      const at = now();
      return matcherOf(await all(), () => at)(event);
    },
    version,
    async view() {
      // The version first: a change between the two reads leaves the view older than the next version
      // read, so it is read again; never newer contents under an old version.
      const [at, stored] = await Promise.all([version(), all()]);
      // Matched at the store's clock on each call: a silence that starts or ends while held still does.
      return { version: at, match: matcherOf(stored, now) };
    },
  };
}
