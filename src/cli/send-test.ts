import type { Logger } from 'pino';
import { monotonicFactory } from 'ulid';
import type { RelayConfig } from '../config/relay-config';
import { createSink } from '../../sinks';
import { sampleNotification } from './sample-notification';

/** Sends a sample notification through the real sink `sinkId`; resolves to a line saying what happened. */
export async function sendTest(config: RelayConfig, sinkId: string, log: Logger): Promise<string> {
  const sinkConfig = config.sinks.get(sinkId);
  if (!sinkConfig) {
    throw new Error(
      `[send-test] no sink "${sinkId}" in ${config.file} (sinks: ${[...config.sinks.keys()].join(', ') || 'none'})`,
    );
  }
  const sink = createSink(sinkConfig, { log });
  const id = `msg_test_${monotonicFactory()()}`;
  let result;
  try {
    result = await sink.deliver(sampleNotification(new Date(), id), { attempt: 1 });
  } finally {
    await sink.close?.();
  }
  const name = `${sinkConfig.type}[${sinkId}]`;
  return result === 'skipped'
    ? `${name}: the sink skipped the sample (a failed pipeline): its settings (e.g. \`on\`) leave such events out`
    : `${name}: sample notification ${id} sent`;
}
