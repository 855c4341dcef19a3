import assert from 'node:assert/strict';
import type { CiEvent } from '../../../src/event/ci-event-schema';
import { escapeMrkdwn, mrkdwnLink, truncateMrkdwn } from '../../../sinks/slack/mrkdwn';
import {
  maxBlocks,
  maxFieldText,
  maxSectionText,
  maxText,
  mentionMap,
  renderSlackMessage,
  type RenderOptions,
  type SlackBlock,
  type SlackMessage,
} from '../../../sinks/slack/render-slack-message';
import { renderFailureBroadcast, renderJobReply } from '../../../sinks/slack/render-slack-reply';
import { runView } from '../../../sinks/template/run-view';
import { compileSlackTemplates } from '../../../sinks/slack/slack-templates';
import { sampleEvent } from '../../helpers/sample-event';

const options = (overrides: Partial<RenderOptions> = {}): RenderOptions => ({
  templates: compileSlackTemplates(),
  mentions: mentionMap({ 'Mona@Acme.example': 'U0MONA', octocat: 'U0OCTO' }),
  ...overrides,
});

const job = (name: string, status: CiEvent['status'], extra: Partial<CiEvent> = {}): CiEvent =>
  sampleEvent({
    id: `job-${name}-${status}`,
    kind: 'job',
    status,
    job: { id: `id-${name}`, name, url: `https://ci.example/jobs/${name}`, stage: 'test' },
    durationMs: 61_000,
    ...extra,
  });

/** Every mrkdwn text of every block, top level and attachments. */
function texts(message: SlackMessage): string[] {
  const of = (blocks: SlackBlock[]) =>
    blocks.flatMap((b) =>
      'text' in b
        ? [b.text.text]
        : 'fields' in b
          ? b.fields.map((f) => f.text)
          : b.elements.map((e) => e.text),
    );
  return [...of(message.blocks), ...message.attachments.flatMap((a) => of(a.blocks))];
}

const blockCount = (m: SlackMessage) =>
  m.blocks.length + m.attachments.reduce((n, a) => n + a.blocks.length, 0);

describe('slack mrkdwn helpers', () => {
  it('escapes &, < and > only', () => {
    assert.equal(escapeMrkdwn('a & b <c> "d" *e*'), 'a &amp; b &lt;c&gt; "d" *e*');
  });
  it('links with an escaped label, and a URL that cannot end the link early', () => {
    assert.equal(
      mrkdwnLink('https://x.example/a?b=1&c=2|3', 'fix <b>'),
      '<https://x.example/a?b=1&amp;c=2%7C3|fix &lt;b&gt;>',
    );
    assert.equal(mrkdwnLink(undefined, 'a<b'), 'a&lt;b');
  });
  it('truncates without splitting a link, a mention or an entity', () => {
    assert.equal(truncateMrkdwn('abcdef', 10), 'abcdef');
    assert.equal(truncateMrkdwn('abcdef', 4), 'abc…');
    assert.equal(truncateMrkdwn('see <https://x.example|here>', 12), 'see …');
    assert.equal(truncateMrkdwn('a &amp; b', 5), 'a …');
  });
});

describe('runView', () => {
  it('shows the pipeline event of the latest attempt and its jobs, oldest first', () => {
    const pipeline = sampleEvent({ status: 'running' });
    delete pipeline.durationMs;
    const late = job('late', 'running', { startedAt: '2024-05-01T11:58:00Z' });
    const early = job('early', 'success', { startedAt: '2024-05-01T11:56:00Z' });
    const view = runView({ version: 3, pipeline, jobs: [late, early] }, late);
    assert.equal(view.run.status, 'running');
    assert.equal(view.run.kind, 'pipeline');
    assert.deepEqual(
      view.jobs.map((j) => j.job?.name),
      ['early', 'late'],
    );
  });

  it('hides jobs of older attempts once a newer attempt exists', () => {
    const attempt1 = sampleEvent({ status: 'failure' });
    const rerun = { ...attempt1.pipeline, attempt: 2 };
    const oldJob = job('test', 'failure');
    const newJob = job('test2', 'running', { pipeline: rerun });
    const view = runView({ version: 4, pipeline: attempt1, jobs: [oldJob, newJob] }, newJob);
    assert.equal(view.attempt, 2);
    assert.equal(view.run.pipeline.attempt, 2);
    assert.equal(view.run.status, 'running', 'attempt 1 failed, attempt 2 is running');
    assert.equal(view.run.durationMs, undefined, "attempt 1's duration is not attempt 2's");
    assert.deepEqual(
      view.jobs.map((j) => j.job?.name),
      ['test2'],
    );
  });

  it('derives the status from the jobs when no pipeline event came, and counts the event itself', () => {
    const failed = job('a', 'failure');
    assert.equal(runView(undefined, failed).run.status, 'failure');
    assert.equal(
      runView({ version: 1, pipeline: undefined, jobs: [job('b', 'running')] }, failed).run.status,
      'running',
    );
    assert.equal(runView({ version: 0, pipeline: undefined, jobs: [] }, sampleEvent()).run.status, 'failure');
  });
});

describe('renderSlackMessage', () => {
  it('renders a failed run: emoji, colour, repository, pipeline and commit links, duration, actor, mentions', () => {
    const failed = job('unit tests', 'failure');
    const message = renderSlackMessage(
      runView(
        {
          version: 2,
          pipeline: sampleEvent({ transition: 'broken' }),
          jobs: [failed, job('lint', 'success')],
        },
        failed,
      ),
      options(),
    );
    const [headline, cc] = message.blocks;
    assert.deepEqual(headline, {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: ':x: *<https://github.com/acme/web|acme/web>* <https://github.com/acme/web/actions/runs/9012345678|CI #1234> *failed* on `main` (broken)',
      },
    });
    assert.deepEqual(cc, { type: 'context', elements: [{ type: 'mrkdwn', text: 'cc <@U0MONA> <@U0OCTO>' }] });
    const [attachment] = message.attachments;
    assert.equal(attachment?.color, '#E01E5A');
    const all = texts(message);
    assert.ok(all.includes('*Branch*\n`main`'));
    assert.ok(
      all.includes(
        '*Commit*\n<https://github.com/acme/web/commit/9f2c4e1a7b3d5f6e8a0c2b4d6f8e0a1c3b5d7f9e|9f2c4e1> Fix checkout total rounding — Mona Lisa Octocat',
      ),
    );
    assert.ok(all.includes('*Duration*\n4m 50s'));
    assert.ok(all.includes('*Triggered by*\noctocat'));
    assert.ok(all.includes('Jobs: :x: 1 failed   :white_check_mark: 1 passed'));
    assert.ok(all.includes('*Failed:* <https://ci.example/jobs/unit tests|unit tests> (1m 1s)'));
    assert.equal(
      message.text,
      '[acme/web] CI failed on main: #1234 "Fix checkout total rounding" cc <@U0MONA> <@U0OCTO>',
    );
  });

  it('renders a passing run green, without mentions', () => {
    const message = renderSlackMessage(runView(undefined, sampleEvent({ status: 'success' })), options());
    assert.equal(message.attachments[0]?.color, '#2EB67D');
    assert.match(texts(message)[0] ?? '', /^:white_check_mark: .* \*passed\* on `main`$/);
    assert.equal(message.blocks.length, 1);
    assert.doesNotMatch(message.text, /<@/);
  });

  const emojis: Array<[CiEvent['status'], string]> = [
    ['success', ':white_check_mark:'],
    ['failure', ':x:'],
    ['error', ':warning:'],
    ['cancelled', ':no_entry_sign:'],
    ['skipped', ':fast_forward:'],
    ['running', ':hourglass_flowing_sand:'],
    ['queued', ':hourglass_flowing_sand:'],
    ['waiting', ':hourglass_flowing_sand:'],
  ];
  for (const [status, emoji] of emojis) {
    it(`${status}: ${emoji}`, () => {
      const message = renderSlackMessage(runView(undefined, sampleEvent({ status })), options());
      assert.ok(texts(message)[0]?.startsWith(`${emoji} `));
    });
  }

  it('escapes what the event says, and shows a PR or a tag where there is no branch', () => {
    const event = sampleEvent({
      repository: { name: 'acme/<web>' },
      pullRequest: { number: 12, url: 'https://github.com/acme/web/pull/12' },
      commit: { sha: 'abcdef0123', message: 'Use <b> & <i>\n\nbody', author: { name: 'A <b>' } },
    });
    delete event.branch;
    const all = texts(renderSlackMessage(runView(undefined, event), options()));
    assert.match(all[0] ?? '', /\*acme\/&lt;web&gt;\*/);
    assert.ok(all.includes('*Pull request*\n<https://github.com/acme/web/pull/12|#12>'));
    assert.ok(all.includes('*Commit*\nabcdef0 Use &lt;b&gt; &amp; &lt;i&gt; — A &lt;b&gt;'));
    const tagged = sampleEvent({ tag: 'v1.2.0' });
    delete tagged.branch;
    assert.ok(texts(renderSlackMessage(runView(undefined, tagged), options())).includes('*Tag*\n`v1.2.0`'));
  });

  it("keeps within Slack's limits: long texts cut, a few blocks however many jobs", () => {
    const long = 'x'.repeat(10_000);
    const jobs = Array.from({ length: 400 }, (_, i) => job(`job-${i}-${long.slice(0, 50)}`, 'failure'));
    const pipeline = sampleEvent({
      pipeline: { id: '1', name: long, url: 'https://ci.example/run' },
      commit: { sha: 'abc1234', message: long, author: { name: long } },
      actor: { login: long },
    });
    const message = renderSlackMessage(runView({ version: 1, pipeline, jobs }, pipeline), options());
    assert.ok(blockCount(message) <= maxBlocks);
    assert.ok(message.text.length <= maxText);
    for (const block of [...message.blocks, ...message.attachments.flatMap((a) => a.blocks)]) {
      if ('text' in block) assert.ok(block.text.text.length <= maxSectionText);
      if ('fields' in block) for (const f of block.fields) assert.ok(f.text.length <= maxFieldText);
    }
    const failedLine = texts(message).find((t) => t.startsWith('*Failed:*')) ?? '';
    assert.match(failedLine, /… and \d+ more$/);
  });

  it('uses overridden templates; fields the event lacks render empty; an empty render falls back', () => {
    const templates = compileSlackTemplates({
      headline: '{{emoji}} {{repository}} {{event.tag}}|{{pipelineLabel}}',
      text: '{{event.nope}}',
    });
    const message = renderSlackMessage(runView(undefined, sampleEvent()), options({ templates }));
    assert.equal(texts(message)[0], ':x: acme/web |CI #1234');
    assert.equal(
      message.text,
      '[acme/web] CI failed on main: #1234 "Fix checkout total rounding" cc <@U0MONA> <@U0OCTO>',
    );
  });
});

describe('slack thread replies', () => {
  it("a failed job's reply: linked name, stage, duration, and who to tell", () => {
    const failed = job('unit', 'failure', { commit: { sha: 'abc' }, actor: { login: 'OctoCat' } });
    const run = runView(undefined, sampleEvent()).run;
    assert.equal(
      renderJobReply(failed, run, options()).text,
      ':x: Job <https://ci.example/jobs/unit|unit> *failed* in stage `test` after 1m 1s\ncc <@U0OCTO> <@U0MONA>',
    );
  });

  it('the broadcast of a failed run: headline, commit and mentions', () => {
    const text = renderFailureBroadcast(
      runView(undefined, sampleEvent()).run,
      options({ mentions: mentionMap({}) }),
    ).text;
    assert.equal(
      text,
      ':x: *<https://github.com/acme/web|acme/web>* <https://github.com/acme/web/actions/runs/9012345678|CI #1234> *failed* on `main`\n' +
        '<https://github.com/acme/web/commit/9f2c4e1a7b3d5f6e8a0c2b4d6f8e0a1c3b5d7f9e|9f2c4e1> Fix checkout total rounding — Mona Lisa Octocat',
    );
  });
});
