import assert from 'node:assert/strict';
import calculateSlot from 'cluster-key-slot';
import { parseClusterNodes } from '../../../src/pipeline/create-redis';
import {
  defaultEventPartitions,
  deliveryQueueName,
  eventPartition,
  eventQueueFor,
  eventQueueNames,
  recordsPrefix,
} from '../../../src/redis/keyspace';
import { recordKeys } from '../../../src/store/record-keys';
import { sampleEvent } from '../../helpers/sample-event';

describe('keyspace (the Redis Cluster slot plan)', () => {
  it('keeps the single-Redis key names as they were', () => {
    assert.deepEqual(eventQueueNames(1, false), ['events']);
    assert.equal(deliveryQueueName('team-slack', false), 'deliver-team-slack');
    assert.equal(recordsPrefix('ci-relay', false), 'ci-relay');
    assert.equal(defaultEventPartitions(false), 1);
  });

  it('braces each queue name on a cluster, so a queue is one slot and queues differ', () => {
    assert.deepEqual(eventQueueNames(3, true), ['{events-0}', '{events-1}', '{events-2}']);
    assert.equal(deliveryQueueName('team-slack', true), '{deliver-team-slack}');
    const slot = (queue: string, suffix: string) => calculateSlot(`ci-relay:${queue}:${suffix}`);
    assert.equal(slot('{events-0}', 'wait'), slot('{events-0}', 'de:abc'));
    assert.notEqual(slot('{events-0}', 'wait'), slot('{events-1}', 'wait'));
    assert.equal(defaultEventPartitions(true), 8);
  });

  it('puts every record key in one slot on a cluster', () => {
    const keys = recordKeys(recordsPrefix('ci-relay', true));
    const slots = new Set(
      [
        keys.event('01H'),
        keys.events,
        keys.eventsBy('branch', 'main'),
        keys.delivery('msg_1'),
        keys.stream,
        keys.board,
        keys.audit,
      ].map((k) => calculateSlot(k)),
    );
    assert.equal(slots.size, 1);
  });

  it('sends every event of a run to one partition, and spreads runs', () => {
    const run = (id: string, status: 'failure' | 'success' = 'failure') =>
      sampleEvent({
        pipeline: { id, name: 'CI', number: 1, attempt: 1, url: 'https://ci.example/1' },
        status,
      });
    assert.equal(eventPartition(run('42'), 8), eventPartition(run('42', 'success'), 8));
    assert.equal(eventQueueFor(run('42'), 1, false), 'events');
    const used = new Set(Array.from({ length: 64 }, (_, i) => eventPartition(run(String(i)), 8)));
    assert.ok(used.size >= 6, `64 runs used ${used.size} of 8 partitions`);
  });

  it('parses REDIS_CLUSTER_NODES and refuses what is not host:port', () => {
    assert.deepEqual(parseClusterNodes('10.0.0.1:6379, redis-b:7000,[::1]:7001'), [
      { host: '10.0.0.1', port: 6379 },
      { host: 'redis-b', port: 7000 },
      { host: '::1', port: 7001 },
    ]);
    assert.deepEqual(parseClusterNodes(''), []);
    assert.throws(() => parseClusterNodes('redis-a'), /REDIS_CLUSTER_NODES: "redis-a" is not host:port/);
    assert.throws(() => parseClusterNodes('redis-a:0'), /not host:port/);
  });
});
