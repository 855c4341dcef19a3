import type { RetentionSettings } from '../config/relay-config';

/** What the activity stream carries: normalized events and delivery state changes. */
export type StreamEntryType = 'ci-event' | 'delivery';

/**
 * How many entries the activity stream keeps at most: room for every retained event and a few delivery
 * changes each. Trimming by age happens on the retention pass; this bound holds between passes.
 */
export function streamMaxLength(retention: RetentionSettings): number {
  return retention.events * 5;
}
