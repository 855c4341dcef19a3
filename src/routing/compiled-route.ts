import type { CiEvent } from '../event/ci-event-schema';
import type { TimeIntervalTest } from './time-intervals';

/** The event fields a route can match on, by match key. */
export const matchFields = {
  source: (e: CiEvent) => e.source,
  provider: (e: CiEvent) => e.provider,
  repository: (e: CiEvent) => e.repository.name,
  branch: (e: CiEvent) => e.branch,
  tag: (e: CiEvent) => e.tag,
  pipeline: (e: CiEvent) => e.pipeline.name,
  job: (e: CiEvent) => e.job?.name,
  kind: (e: CiEvent) => e.kind,
  status: (e: CiEvent) => e.status,
  transition: (e: CiEvent) => e.transition,
  flaky: (e: CiEvent) => String(e.flaky === true),
} satisfies Record<string, (e: CiEvent) => string | undefined>;

/** A match key. */
export type MatchKey = keyof typeof matchFields;

/** A route with its globs compiled: ready for {@link matchRoutes}. */
export interface CompiledRoute {
  name: string;
  sinks: readonly string[];
  continue: boolean;
  /** Send a series' `fixed` to the sinks this route told of its failure. @defaultValue true */
  sendResolved: boolean;
  /** Job events of one run within this window become one notification; 0: off. */
  groupWaitMs: number;
  /** `still_failing` at most once per this interval (per series and sink); undefined: every time. */
  repeatIntervalMs?: number;
  /** `broken` only after this many failures in a row. @defaultValue 1 */
  after: number;
  /** The route sends only within one of these (when any are named). */
  activeTimeIntervals: ReadonlyArray<{ name: string; test: TimeIntervalTest }>;
  /** The route sends nothing within these. */
  muteTimeIntervals: ReadonlyArray<{ name: string; test: TimeIntervalTest }>;
  /** Options for each sink, by sink id. */
  options: Readonly<Record<string, Record<string, unknown>>>;
  /** Every condition must hold; a condition holds when any of its patterns matches the field. */
  conditions: ReadonlyArray<{ key: MatchKey; test: (value: string) => boolean }>;
}
