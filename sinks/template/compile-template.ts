import Handlebars from 'handlebars';

const hb = Handlebars.create();

/**
 * Helpers every message template may use. Their names differ from every context field (`shortSha`,
 * `duration`, ...), because Handlebars reads `{{name}}` as a helper call when a helper has that name.
 */
const helpers: Record<string, Handlebars.HelperDelegate> = {
  /** `{{sha7 event.commit.sha}}`: the first 7 characters. */
  sha7: (sha: unknown) => (typeof sha === 'string' ? sha.slice(0, 7) : ''),
  /** `{{firstLine event.commit.message}}` */
  firstLine: (text: unknown) => (typeof text === 'string' ? (text.split('\n')[0] ?? '') : ''),
  /** `{{truncate text 80}}`: at most n characters, with an ellipsis when cut. */
  truncate: (text: unknown, n: unknown) => {
    if (typeof text !== 'string') return '';
    const max = typeof n === 'number' ? n : 80;
    return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
  },
  /** `{{humanDuration event.durationMs}}`: `1h 2m`, `4m 12s`, `9s`. */
  humanDuration: (ms: unknown) => (typeof ms === 'number' ? formatDuration(ms) : ''),
  /** `{{#if (eq event.status "failure")}}` */
  eq: (a: unknown, b: unknown) => a === b,
  /** `{{default event.branch "(no branch)"}}` */
  default: (value: unknown, fallback: unknown) =>
    value === undefined || value === null || value === '' ? fallback : value,
};
for (const [name, helper] of Object.entries(helpers)) hb.registerHelper(name, helper);
const knownHelpers = Object.fromEntries(Object.keys(helpers).map((name) => [name, true]));

/** `252000` becomes `4m 12s`. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** A compiled message template: context in, text out. */
export type Template = (context: object) => string;

/**
 * Compiles a Handlebars template. Unknown helpers and syntax errors throw here, at config load,
 * not at send time; a field the event lacks renders empty. `escape` says how `{{x}}` values are
 * escaped (HTML for email bodies, Slack's three characters for mrkdwn, nothing for plain text).
 */
export function compileTemplate(source: string, escape: (value: string) => string = (v) => v): Template {
  const options: CompileOptions = { knownHelpers, knownHelpersOnly: true, strict: false, noEscape: true };
  // precompile parses and checks helpers now; compile alone would wait until the first render.
  hb.precompile(source, options);
  const render = hb.compile(source, options);
  return (context) => render(escapeStrings(context, escape));
}

/** Every string in `value`, however deep, passed through `escape`. */
function escapeStrings(value: unknown, escape: (value: string) => string): object {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return escape(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as object;
}

type CompileOptions = Parameters<typeof hb.compile>[1];

/** The problem with a template source, or undefined when it compiles. */
export function templateProblem(source: string): string | undefined {
  try {
    compileTemplate(source);
    return undefined;
  } catch (e) {
    // Handlebars puts the position on the first line and what it expected on the last.
    const lines = (e as Error).message.split('\n').filter((l) => l.trim() !== '');
    return lines.length > 1 ? `${lines[0]} ${lines[lines.length - 1]}` : lines[0];
  }
}
