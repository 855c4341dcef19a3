import assert from 'node:assert/strict';
import { transitionBetween } from '../../../src/pipeline/record-run-state';
import { notificationContentKey, notificationId } from '../../../src/pipeline/notification-keys';
import { sampleEvent } from '../../helpers/sample-event';

describe('transitionBetween', () => {
  const table: Array<[string, 'success' | 'failure' | 'error', string]> = [
    ['', 'failure', 'broken'],
    ['', 'success', 'passed'],
    ['success', 'failure', 'broken'],
    ['success', 'error', 'broken'],
    ['failure', 'failure', 'still_failing'],
    ['error', 'failure', 'still_failing'],
    ['failure', 'success', 'fixed'],
    ['error', 'success', 'fixed'],
    ['success', 'success', 'passed'],
  ];
  for (const [previous, current, expected] of table) {
    it(`${previous || '(no history)'} then ${current}: ${expected}`, () => {
      assert.equal(transitionBetween(previous, current), expected);
    });
  }
});

describe('notification keys', () => {
  it('gives one notification the same id every time, and each (route, sink) its own', () => {
    const event = sampleEvent();
    assert.equal(notificationId(event, 'r', 's'), notificationId(event, 'r', 's'));
    assert.notEqual(notificationId(event, 'r', 's'), notificationId(event, 'r', 't'));
    assert.match(notificationId(event, 'r', 's'), /^msg_[0-9a-f]{32}$/);
  });

  it('treats the same state of a run as the same news, whatever event or delivery carried it', () => {
    const a = sampleEvent({ id: '01A', deliveryId: 'd1' });
    const b = sampleEvent({ id: '01B', deliveryId: 'd2' });
    assert.equal(notificationContentKey(a, 'r', 's'), notificationContentKey(b, 'r', 's'));
    assert.notEqual(
      notificationContentKey(a, 'r', 's'),
      notificationContentKey(sampleEvent({ status: 'success' }), 'r', 's'),
    );
    assert.notEqual(
      notificationContentKey(a, 'r', 's'),
      notificationContentKey(sampleEvent({ pipeline: { ...a.pipeline, attempt: 2 } }), 'r', 's'),
    );
  });
});
