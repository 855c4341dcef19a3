/**
 * Escapes the three characters Slack's mrkdwn gives a meaning to.
 * https://docs.slack.dev/messaging/formatting-message-text#escaping
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `<url|label>`, or the escaped label alone when there is no URL. */
export function mrkdwnLink(url: string | undefined, label: string): string {
  const text = escapeMrkdwn(label);
  if (url === undefined || url === '') return text;
  // `|` would end the URL part early; `<` and `>` would end the link.
  const href = escapeMrkdwn(url).replace(/\|/g, '%7C');
  // An empty label would render as `<url|>`; show the URL instead.
  return `<${href}|${text === '' ? href : text}>`;
}

/**
 * At most `max` characters of mrkdwn, ending with `…` when cut. The cut never splits a `<link|label>`,
 * a `<@U123>` mention or an `&amp;` entity, which would otherwise show as broken markup.
 */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  const open = cut.lastIndexOf('<');
  if (open > cut.lastIndexOf('>')) cut = cut.slice(0, open);
  const amp = cut.lastIndexOf('&');
  if (amp !== -1 && amp > cut.lastIndexOf(';')) cut = cut.slice(0, amp);
  return `${cut}…`;
}

/** At most `max` characters of plain text, ending with `…` when cut. */
export function truncatePlain(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
