import { performance } from 'node:perf_hooks';
import type { SilenceStore, SilenceView } from '../store/create-silence-store';

/** The silences a router holds in memory, checked against their version instead of read for each event. */
export interface SilenceCache {
  /** The held silences; read from Redis the first time and once they are `maxAgeMs` old. */
  current(): Promise<SilenceView>;
  /**
   * The silences as of `version` (read from Redis alongside a notification's claim): the held ones when
   * they are as new, else read again. What the router checks a notification against before sending it.
   */
  at(version: number): Promise<SilenceView>;
}

/**
 * Keeps the silences in memory. Reading every silence (JSON of each, expired ones kept for a week) for
 * every event cost a round trip on the way to the sink and grew with the silences; reading one counter
 * costs neither, and rides in the round trip the router makes anyway. `maxAgeMs` bounds how long a
 * change whose counter bump was lost (its writer died between the two writes) goes unseen.
 */
export function createSilenceCache(store: SilenceStore, maxAgeMs = 30_000): SilenceCache {
  let held: { view: SilenceView; readAt: number } | undefined;
  let reading: Promise<SilenceView> | undefined;
  // One read at a time: the events routed side by side while it is under way share it.
  const read = () =>
    (reading ??= store
      .view()
      .then((view) => {
        if (held === undefined || view.version >= held.view.version)
          held = { view, readAt: performance.now() };
        return held.view;
      })
      .finally(() => (reading = undefined)));
  return {
    current: async () =>
      held !== undefined && performance.now() - held.readAt < maxAgeMs ? held.view : read(),
    at: async (version) => {
      if (held !== undefined && held.view.version >= version) return held.view;
      const view = await read();
      // A read that began before the change (it shared one under way) is read once more, and kept.
      return view.version >= version ? view : read();
    },
  };
}
