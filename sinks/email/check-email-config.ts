import { addressProblem } from './addresses';
import type { EmailSinkConfig } from './config';
import { emailTemplateProblems } from './render-email';
import { redactSmtpUrl } from './smtp-options';

/**
 * What the schema cannot see in an email sink's config (or in it merged with a route's options), as
 * `key: message` lines: templates that do not compile, addresses that do not parse, an unusable URL.
 */
export function checkEmailConfig(config: EmailSinkConfig): string[] {
  const problems = emailTemplateProblems(config.templates);
  const fromProblem = addressProblem(config.from);
  if (fromProblem) problems.push(`from: ${fromProblem}`);
  for (const key of ['to', 'cc'] as const) {
    (config[key] ?? []).forEach((entry, i) => {
      const problem = addressProblem(entry);
      if (problem) problems.push(`${key}[${i}]: ${problem}`);
    });
  }
  if (typeof config.smtp === 'string') {
    let host = '';
    try {
      host = new URL(config.smtp).hostname;
    } catch {
      // reported below
    }
    if (host === '') problems.push(`smtp: ${JSON.stringify(redactSmtpUrl(config.smtp))} is not a usable URL`);
  }
  return problems;
}
