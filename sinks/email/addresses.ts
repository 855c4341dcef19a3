import addressparser from 'nodemailer/lib/addressparser';

/** The one mailbox address (`a@example.com`) in `text` (`Name <a@example.com>` or bare), or undefined. */
export function mailboxOf(text: string): string | undefined {
  const parsed = addressparser(text, { flatten: true });
  const [only] = parsed;
  if (parsed.length !== 1 || !only) return undefined;
  return /^[^\s@]+@[^\s@]+$/.test(only.address) ? only.address : undefined;
}

/** What is wrong with `text` as one address, or undefined when it is one. */
export function addressProblem(text: string): string | undefined {
  return mailboxOf(text) === undefined
    ? `${JSON.stringify(text)} is not one email address (a@example.com or Name <a@example.com>)`
    : undefined;
}

/** `entries` without repeats of the same mailbox (compared without case) or of any in `exclude`. */
export function uniqueRecipients(entries: readonly string[], exclude: readonly string[] = []): string[] {
  const seen = new Set(exclude.map((e) => (mailboxOf(e) ?? e).toLowerCase()));
  const out: string[] = [];
  for (const entry of entries) {
    const key = (mailboxOf(entry) ?? entry).toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(entry);
  }
  return out;
}
