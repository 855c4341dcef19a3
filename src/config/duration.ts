/** A duration as Prometheus and Alertmanager write it: `30s`, `10m`, `4h`, `1h30m`, `2d`, `500ms`. */
export const durationPattern = '^(?:[0-9]+(?:ms|s|m|h|d|w))+$';

const unitMs: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** Milliseconds of a duration matching {@link durationPattern}; throws on anything else. */
export function parseDuration(text: string): number {
  if (!new RegExp(durationPattern).test(text)) throw new Error(`invalid duration ${JSON.stringify(text)}`);
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/([0-9]+)(ms|s|m|h|d|w)/g))
    ms += Number(n) * (unitMs[unit ?? ''] ?? 0);
  return ms;
}
