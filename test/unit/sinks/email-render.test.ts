import assert from 'node:assert/strict';
import type { CiEvent } from '../../../src/event/ci-event-schema';
import type { RunSnapshot } from '../../../src/contracts/sink';
import {
  compileEmailTemplates,
  emailContext,
  emailTemplateProblems,
  escapeHtml,
  renderEmail,
} from '../../../sinks/email/render-email';
import { sampleEvent } from '../../helpers/sample-event';

const route = 'main-failures';
const sink = 'oncall-mail';

function job(name: string, status: CiEvent['status'], extra: Partial<CiEvent> = {}): CiEvent {
  return sampleEvent({
    kind: 'job',
    status,
    job: { id: `job-${name}`, name, url: `https://github.com/acme/web/actions/runs/9012345678/job/${name}` },
    ...extra,
  });
}

function snapshot(jobs: CiEvent[]): RunSnapshot {
  return { version: jobs.length + 1, pipeline: sampleEvent(), jobs };
}

const render = (event: CiEvent, jobs: CiEvent[] = [], templates = compileEmailTemplates()) =>
  renderEmail(emailContext({ event, snapshot: snapshot(jobs), route, sink }), templates);

describe('email rendering', () => {
  it('uses the headline as the subject', () => {
    const { subject } = render(sampleEvent({ transition: 'broken' }));
    assert.equal(subject, '[acme/web] CI failed on main: #1234 "Fix checkout total rounding"');
  });

  it('puts the same facts in the text body as in the Slack message', () => {
    const { text } = render(sampleEvent({ transition: 'broken' }), [job('test', 'failure')]);
    const expected = [
      '[acme/web] CI failed on main: #1234 "Fix checkout total rounding"',
      'Status:        Failed (newly broken)',
      'Repository:    acme/web <https://github.com/acme/web>',
      'Branch:        main',
      'Pipeline:      CI #1234 <https://github.com/acme/web/actions/runs/9012345678>',
      'Commit:        9f2c4e1 "Fix checkout total rounding" by Mona Lisa Octocat <https://github.com/acme/web/commit/9f2c4e1a7b3d5f6e8a0c2b4d6f8e0a1c3b5d7f9e>',
      'Duration:      4m 50s',
      'Triggered by:  octocat',
      'Failed jobs:',
      '  - test <https://github.com/acme/web/actions/runs/9012345678/job/test>',
      'View the run: https://github.com/acme/web/actions/runs/9012345678',
      'Sent by ci-relay (route "main-failures", sink "oncall-mail").',
    ];
    for (const line of expected) assert.ok(text.split('\n').includes(line), `missing line ${line}\n${text}`);
    assert.doesNotMatch(text, /\n\n\n/, 'no runs of blank lines where optional facts are absent');
  });

  it('puts the facts, a status colour and a button to the run in the HTML body', () => {
    const { html } = render(sampleEvent({ transition: 'broken' }), [job('test', 'failure')]);
    assert.match(html, /border-top:6px solid #cf222e/);
    assert.match(html, /Failed &middot; newly broken/);
    assert.match(html, />Repository<\/th><td[^>]*><a href="https:\/\/github\.com\/acme\/web"/);
    assert.match(html, /<code>main<\/code>/);
    assert.match(
      html,
      /<a href="https:\/\/github\.com\/acme\/web\/actions\/runs\/9012345678"[^>]*>CI #1234<\/a>/,
    );
    assert.match(html, /<code>9f2c4e1<\/code><\/a> Fix checkout total rounding/);
    assert.match(html, /by Mona Lisa Octocat/);
    assert.match(html, />4m 50s</);
    assert.match(html, />octocat</);
    assert.match(html, /<li><a href="[^"]*\/job\/test"[^>]*>test<\/a><\/li>/);
    assert.match(
      html,
      /<a href="https:\/\/github\.com\/acme\/web\/actions\/runs\/9012345678"[^>]*>View run<\/a>/,
    );
  });

  it('colours passes green and runs amber', () => {
    assert.match(render(sampleEvent({ status: 'success' })).html, /solid #1a7f37/);
    assert.match(render(sampleEvent({ status: 'running' })).html, /solid #9a6700/);
    assert.match(render(sampleEvent({ status: 'success', transition: 'fixed' })).text, /Passed \(fixed\)/);
  });

  it('lists only the failed jobs of the same attempt, by name', () => {
    const { text } = render(sampleEvent({ pipeline: { ...sampleEvent().pipeline, attempt: 2 } }), [
      job('unit', 'failure', { pipeline: { ...sampleEvent().pipeline, attempt: 2 } }),
      job('e2e', 'error', { pipeline: { ...sampleEvent().pipeline, attempt: 2 } }),
      job('lint', 'success', { pipeline: { ...sampleEvent().pipeline, attempt: 2 } }),
      job('old', 'failure', { pipeline: { ...sampleEvent().pipeline, attempt: 1 } }),
    ]);
    const listed = text.split('\n').filter((l) => l.startsWith('  - '));
    assert.deepEqual(
      listed.map((l) => l.split(' ')[3]),
      ['e2e', 'unit'],
    );
    assert.match(text, /CI #1234 \(attempt 2\)/);
  });

  it('leaves out what the event does not have, and the job list without a snapshot', () => {
    const bare = sampleEvent({ commit: { sha: 'abcdef1234567' }, pipeline: { id: '1', name: 'CI' } });
    delete bare.durationMs;
    delete bare.actor;
    delete bare.repository.url;
    const { subject, text, html } = renderEmail(emailContext({ event: bare, route, sink }));
    assert.equal(subject, '[acme/web] CI failed on main');
    assert.match(text, /^Commit: {8}abcdef1$/m);
    assert.doesNotMatch(text, /Duration|Triggered by|Failed jobs|View the run|undefined/);
    assert.doesNotMatch(html, /View run|undefined|href=""/);
  });

  it('shows the job of a job event, and a pull request or a tag', () => {
    const { text } = render(
      job('test (node 20)', 'failure', {
        pullRequest: { number: 12, url: 'https://github.com/acme/web/pull/12' },
      }),
    );
    assert.match(text, /^Job: {11}test \(node 20\) <https:\/\/github\.com\/.*\/job\/test \(node 20\)>$/m);
    assert.match(text, /^Pull request: {2}#12 <https:\/\/github\.com\/acme\/web\/pull\/12>$/m);
    const tagged = sampleEvent({ tag: 'v1.2.0' });
    delete tagged.branch;
    assert.match(render(tagged).text, /^Tag: {11}v1\.2\.0$/m);
  });

  it('escapes values in the HTML body and not in the text body or subject', () => {
    const event = sampleEvent({
      commit: { ...sampleEvent().commit, message: 'Fix <script>alert("x")</script> & more' },
    });
    const { subject, text, html } = render(event, [job('a<b>', 'failure')]);
    assert.match(subject, /"Fix <script>alert\("x"\)<\/script> & more"$/);
    assert.match(text, /"Fix <script>alert\("x"\)<\/script> & more"/);
    assert.doesNotMatch(html, /<script>|a<b>/);
    assert.match(html, /Fix &#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62; &#38; more/);
    assert.match(html, />a&#60;b&#62;</);
  });

  it('drops links that are not http(s)', () => {
    const event = sampleEvent({ pipeline: { ...sampleEvent().pipeline, url: 'javascript:alert(1)' } });
    const { text, html } = render(event);
    assert.doesNotMatch(html, /javascript:/);
    assert.doesNotMatch(text, /javascript:/);
  });

  it('renders team templates; fields the event lacks render empty', () => {
    const templates = compileEmailTemplates({
      subject:
        'CI {{statusWord}}: {{event.repository.name}}@{{event.branch}}{{event.tag}} by {{event.nope.deeper}}',
      text: '{{sha7 event.commit.sha}} {{default event.tag "(no tag)"}} {{#each failedJobs}}[{{name}}]{{/each}}',
      html: '<p>{{commitTitle}}</p>',
    });
    const event = sampleEvent({ commit: { ...sampleEvent().commit, message: 'Use <b>' } });
    const { subject, text, html } = render(event, [job('unit', 'failure')], templates);
    assert.equal(subject, 'CI failed: acme/web@main by');
    assert.equal(text, '9f2c4e1 (no tag) [unit]');
    assert.equal(html, '<p>Use &#60;b&#62;</p>');
  });

  it('keeps the subject on one line and falls back to the headline when it renders empty', () => {
    const multiLine = compileEmailTemplates({ subject: '{{event.commit.message}}' });
    const event = sampleEvent({ commit: { ...sampleEvent().commit, message: 'one\r\ntwo\n\nthree' } });
    assert.equal(render(event, [], multiLine).subject, 'one two three');
    const empty = compileEmailTemplates({ subject: '{{event.tag}}' });
    assert.equal(render(sampleEvent(), [], empty).subject, messageHeadline());
  });

  it('reports templates that do not compile, by key', () => {
    assert.deepEqual(emailTemplateProblems({ subject: '{{headline}}', text: 'ok' }), []);
    const problems = emailTemplateProblems({ subject: '{{#if x}}open', html: '{{unknownHelper event}}' });
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? '', /^templates\.subject: /);
    assert.match(problems[1] ?? '', /^templates\.html: .*unknownHelper/);
  });

  it('escapes the five HTML-significant characters', () => {
    assert.equal(
      escapeHtml(`<a href="x" title='y'>&</a>`),
      '&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;',
    );
  });
});

function messageHeadline(): string {
  return '[acme/web] CI failed on main: #1234 "Fix checkout total rounding"';
}
