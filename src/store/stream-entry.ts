import type { RetentionSettings } from '../config/relay-config';

/** What the activity stream carries: normalized events and delivery state changes. */
export type StreamEntryType = 'ci-event' | 'delivery';

/** The field/value pairs of one activity stream entry: its type and its JSON data. */
export function streamEntry(type: StreamEntryType, data: unknown): [string, string, string, string] {
  return ['t', type, 'd', JSON.stringify(data)];
}

/**
 * How many entries the activity stream keeps at most: room for every retained event and a few delivery
 * changes each. Trimming by age happens on the retention pass; this bound holds between passes.
 */
export function streamMaxLength(retention: RetentionSettings): number {
  return retention.events * 5;
}
