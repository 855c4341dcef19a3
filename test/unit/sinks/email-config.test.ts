import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/config/config-error';
import { parseConfig } from '../../../src/config/load-config';
import { smtpOptions, redactSmtpUrl, smtpSecrets, createRedactor } from '../../../sinks/email/smtp-options';

function config(sink: string, routeOptions = ''): string {
  return `
version: 1
sources:
  - id: github
    provider: github
    secrets: [s3cret]
sinks:
  - id: mail
    type: email
${sink
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
routes:
  - name: failures
    sinks: [mail]
${routeOptions}`;
}

const minimal = `
smtp: "smtp://127.0.0.1:2525"
from: "ci-relay <ci@example.com>"
to: ["oncall@example.com"]`;

function problemsOf(text: string): readonly string[] {
  try {
    parseConfig(text, 'relay.yaml', {});
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail('the config was accepted');
}

describe('email sink config', () => {
  it('accepts a minimal sink (an smtp URL, from, to)', () => {
    const loaded = parseConfig(config(minimal), 'relay.yaml', {});
    assert.equal(loaded.sinks.get('mail')?.type, 'email');
  });

  it('accepts every key, with a server object and route options', () => {
    const sink = `
smtp:
  host: smtp.example.com
  port: 587
  secure: false
  requireTLS: true
  auth: { user: ci, pass: "\${SMTP_PASS}" }
  tls: { rejectUnauthorized: true, servername: smtp.example.com, minVersion: TLSv1.2 }
pool: true
from: "ci-relay <ci@example.com>"
to: ["oncall@example.com", "Web Team <web@example.com>"]
cc: ["lead@example.com"]
notifyAuthor: true
on: [failed, fixed]
templates:
  subject: "{{headline}}"
  text: "{{event.repository.name}} {{statusWord}}"
  html: "<p>{{headline}}</p>"
timeoutMs: 20000
retry: { attempts: 5 }
rateLimit: { max: 10, perMs: 1000 }`;
    const routeOptions = `    options:
      mail:
        to: ["web@example.com"]
        cc: ["qa@example.com"]
        notifyAuthor: false
        on: [finished, jobs]
        templates: { subject: "[web] {{headline}}" }`;
    const loaded = parseConfig(config(sink, routeOptions), 'relay.yaml', { SMTP_PASS: 'pw' });
    assert.deepEqual(loaded.routes[0]?.options.mail, {
      to: ['web@example.com'],
      cc: ['qa@example.com'],
      notifyAuthor: false,
      on: ['finished', 'jobs'],
      templates: { subject: '[web] {{headline}}' },
    });
  });

  it('reports a sink template that does not compile, at load', () => {
    const problems = problemsOf(config(`${minimal}\ntemplates: { subject: "{{#if event.branch}}open" }`));
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^sinks\[0\] \(mail\)\.templates\.subject: /);
  });

  it('reports a route template that does not compile, and an unknown helper', () => {
    const problems = problemsOf(
      config(minimal, `    options:\n      mail:\n        templates: { html: "{{nope event}}" }`),
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^routes\[0\] \(failures\)\.options\.mail\.templates\.html: .*nope/);
  });

  it('reports addresses that do not parse', () => {
    const problems = problemsOf(
      config(`
smtp: "smtp://127.0.0.1:2525"
from: "ci-relay"
to: ["oncall@example.com", "two@example.com, three@example.com"]`),
    );
    assert.deepEqual(
      problems.map((p) => p.split(':')[0]),
      ['sinks[0] (mail).from', 'sinks[0] (mail).to[1]'],
    );
  });

  it('refuses unknown keys and values, in the sink and in route options', () => {
    const problems = problemsOf(
      config(`${minimal}\non: [always]\nsubjekt: x`, `    options:\n      mail:\n        channel: "#ci"`),
    );
    assert.ok(
      problems.some((p) => /^sinks\[0\]: unknown key "subjekt"$/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /^sinks\[0\]\.on\[0\]: must be one of "finished"/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /options\.mail: unknown key "channel"$/.test(p)),
      problems.join('\n'),
    );
  });

  it('refuses an smtp URL of another scheme, and never prints its password', () => {
    const problems = problemsOf(config(minimal.replace('smtp://127.0.0.1:2525', 'http://u:hunter2@h')));
    assert.ok(problems.length > 0);
    assert.ok(
      problems.every((p) => !p.includes('hunter2')),
      problems.join('\n'),
    );
  });
});

describe('email sink SMTP options', () => {
  it('passes a server object, pooled by default, with the timeout on every wait', () => {
    const options = smtpOptions(
      {
        smtp: {
          host: 'smtp.example.com',
          port: 465,
          secure: true,
          auth: { user: 'u', pass: 'p' },
          tls: { minVersion: 'TLSv1.3' },
        },
      },
      15_000,
    );
    assert.equal(options.host, 'smtp.example.com');
    assert.equal(options.port, 465);
    assert.equal(options.secure, true);
    assert.deepEqual(options.auth, { user: 'u', pass: 'p' });
    assert.deepEqual(options.tls, { minVersion: 'TLSv1.3' });
    assert.equal(options.pool, true);
    assert.equal(options.connectionTimeout, 15_000);
    assert.equal(options.greetingTimeout, 15_000);
    assert.equal(options.socketTimeout, 15_000);
    assert.equal(options.logger, false);
    assert.equal(smtpOptions({ smtp: 'smtp://h:25', pool: false }, 1000).pool, false);
  });

  it('knows the password of a URL or an object, and redacts it', () => {
    assert.deepEqual(smtpSecrets('smtps://ci:p%40ss@mail.example.com'), ['p%40ss', 'p@ss']);
    assert.deepEqual(smtpSecrets({ host: 'h', auth: { user: 'u', pass: 'pw' } }), ['pw']);
    assert.deepEqual(smtpSecrets('smtp://mail.example.com:25'), []);
    assert.equal(
      redactSmtpUrl('at smtps://ci:p%40ss@mail.example.com:465 now'),
      'at smtps://ci:<secret>@mail.example.com:465 now',
    );
    const redact = createRedactor(['p@ss']);
    assert.equal(
      redact('login p@ss failed for smtp://ci:other@h'),
      'login <secret> failed for smtp://ci:<secret>@h',
    );
  });
});
