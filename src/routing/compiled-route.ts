import type { CiEvent } from '../event/ci-event-schema';

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
  /** Options for each sink, by sink id. */
  options: Readonly<Record<string, Record<string, unknown>>>;
  /** Every condition must hold; a condition holds when any of its patterns matches the field. */
  conditions: ReadonlyArray<{ key: MatchKey; test: (value: string) => boolean }>;
}
