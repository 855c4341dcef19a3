import assert from 'node:assert/strict';
import type { Notification } from '../../../src/contracts/sink';
import { renderDiscordEmbed } from '../../../sinks/discord/render-discord-embed';
import { renderGoogleChatMessage } from '../../../sinks/googlechat';
import { renderMattermostMessage } from '../../../sinks/mattermost';
import { pagerDutyAction, pagerDutyDedupKey, renderPagerDutyTrigger } from '../../../sinks/pagerduty';
import { renderTeamsCard } from '../../../sinks/teams/render-teams-card';
import { summarizeRun } from '../../../sinks/template/run-summary';
import { sampleEvent } from '../../helpers/sample-event';

const notification = (event = sampleEvent()): Notification => ({ id: 'msg_1', route: 'r', event });

describe('pagerduty decisions', () => {
  it('triggers on a failed or errored pipeline, resolves a fixed one, and leaves everything else', () => {
    const cases: Array<[Parameters<typeof sampleEvent>[0], 'trigger' | 'resolve' | undefined]> = [
      [{ status: 'failure', transition: 'broken' }, 'trigger'],
      [{ status: 'failure', transition: 'still_failing' }, 'trigger'],
      [{ status: 'error' }, 'trigger'],
      [{ status: 'success', transition: 'fixed' }, 'resolve'],
      [{ status: 'success', transition: 'passed' }, undefined],
      [{ status: 'running' }, undefined],
      [{ status: 'cancelled' }, undefined],
      [{ kind: 'job', status: 'failure', job: { id: '1', name: 'test' } }, undefined],
    ];
    for (const [overrides, expected] of cases)
      assert.equal(pagerDutyAction(sampleEvent(overrides)), expected, JSON.stringify(overrides));
  });

  it('keeps one dedup_key per pipeline and branch, across runs', () => {
    const a = sampleEvent();
    const b = sampleEvent({ pipeline: { ...a.pipeline, id: 'next-run', number: 1235 } });
    assert.equal(pagerDutyDedupKey(a), pagerDutyDedupKey(b));
    assert.notEqual(pagerDutyDedupKey(sampleEvent({ branch: 'dev' })), pagerDutyDedupKey(a));
    assert.notEqual(
      pagerDutyDedupKey(sampleEvent({ pipeline: { ...a.pipeline, name: 'Deploy' } })),
      pagerDutyDedupKey(a),
    );
    assert.ok(pagerDutyDedupKey(a).length <= 255);
  });

  it('keeps the summary within 1024 characters', async () => {
    const event = sampleEvent({ commit: { sha: 'a'.repeat(40), message: 'x'.repeat(5000) } });
    const trigger = renderPagerDutyTrigger(await summarizeRun(notification(event)), 'key', 'dedup', 'error');
    assert.ok(trigger.event_action === 'trigger' && trigger.payload.summary.length === 1024);
  });
});

describe('chat sink rendering', () => {
  const hostile = sampleEvent({
    commit: {
      sha: '9f2c4e1a7b3d5f6e8a0c2b4d6f8e0a1c3b5d7f9e',
      message: '<script>alert(1)</script> *bold* [x](https://evil.example) @everyone',
    },
  });

  it('google chat: card text is HTML-escaped; the thread key is the one given', async () => {
    const message = renderGoogleChatMessage(await summarizeRun(notification(hostile)), 'run-key');
    const json = JSON.stringify(message.cardsV2);
    assert.ok(!json.includes('<script>'));
    assert.ok(json.includes('&lt;script&gt;'));
    assert.deepEqual(message.thread, { threadKey: 'run-key' });
  });

  it('discord and mattermost: markdown in commit titles stays literal', async () => {
    const summary = await summarizeRun(notification(hostile));
    const commit = renderDiscordEmbed(summary).fields.find((f) => f.name === 'Commit')?.value ?? '';
    assert.ok(commit.includes('\\*bold\\*') && commit.includes('\\[x\\]\\(https://evil.example\\)'), commit);
    const post = JSON.stringify(renderMattermostMessage(summary));
    assert.ok(post.includes('\\\\*bold\\\\*'), post);
  });

  it('discord: the title fits 256 characters and the colour is the status colour as a number', async () => {
    const long = sampleEvent({ commit: { sha: 'a'.repeat(40), message: 'y'.repeat(400) } });
    const embed = renderDiscordEmbed(await summarizeRun(notification(long)));
    assert.equal(embed.title.length, 256);
    assert.equal(embed.color, 0xe01e5a);
  });

  it('teams: one Adaptive Card attachment with the run link as its first action', async () => {
    const card = renderTeamsCard(await summarizeRun(notification()));
    assert.equal(card.type, 'message');
    assert.equal(card.attachments.length, 1);
    const [attachment] = card.attachments;
    assert.equal(attachment?.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(attachment?.content.actions[0]?.url, sampleEvent().pipeline.url);
  });
});
