/** The event fields that have an index of their own, so list queries on them never scan every event. */
export const indexedEventFields = [
  'source',
  'provider',
  'repository',
  'branch',
  'pipeline',
  'kind',
  'status',
] as const;
/** One indexed event field. */
export type IndexedEventField = (typeof indexedEventFields)[number];

/** The delivery fields that have an index of their own. */
export const indexedDeliveryFields = ['state', 'sink', 'route', 'event'] as const;
/** One indexed delivery field. */
export type IndexedDeliveryField = (typeof indexedDeliveryFields)[number];

/**
 * Every Redis key the API's records live under, in one place so the layout can be read (and changed)
 * at a glance. Lists are sorted sets scored by time in ms; members are record ids.
 */
export function recordKeys(prefix: string) {
  const p = `${prefix}:rec`;
  return {
    /** One event's JSON. */
    event: (id: string) => `${p}:ev:${id}`,
    /** Every retained event, by receivedAt. */
    events: `${p}:ev-idx`,
    /** Events with `field` equal to `value`, by receivedAt. */
    eventsBy: (field: IndexedEventField, value: string) => `${p}:ev-idx:${field}:${value}`,
    /** The values `field` has taken, scored by when last seen: what a glob filter is matched against. */
    eventValues: (field: IndexedEventField) => `${p}:ev-vals:${field}`,
    /** One delivery's JSON. */
    delivery: (id: string) => `${p}:dl:${id}`,
    /** Every retained delivery, by createdAt. */
    deliveries: `${p}:dl-idx`,
    /** Deliveries with `field` equal to `value`, by createdAt. */
    deliveriesBy: (field: IndexedDeliveryField, value: string) => `${p}:dl-idx:${field}:${value}`,
    /** The run board: one JSON item per pipeline series (hash field: the series id). */
    board: `${p}:board`,
    /** Board series by updatedAt. */
    boardIndex: `${p}:board-idx`,
    /** The activity stream every instance's `/v1/stream` clients read (a Redis stream). */
    stream: `${p}:stream`,
    /**
     * Trimming's checkpoints of the activity stream: member the stream's last id at a pass, score the
     * newest retained event's time then. Once every event up to that time is trimmed, so is the stream
     * up to that id.
     */
    streamMarks: `${p}:stream-marks`,
    /** The audit log (a Redis stream). */
    audit: `${p}:audit`,
    /** Held by the instance trimming old records, so only one does at a time. */
    trimLock: `${p}:trim-lock`,
  };
}

/** The keys of {@link recordKeys}. */
export type RecordKeys = ReturnType<typeof recordKeys>;
