import { decodeStandardWebhookSecret } from '../../src/standard-webhooks/standard-webhook-secret';
import type { HttpSinkConfig } from './config';

/** What the schema cannot check in an `http` sink's config: that its `secret` decodes. */
export function checkHttpConfig(config: HttpSinkConfig): string[] {
  if (config.secret === undefined) return [];
  try {
    decodeStandardWebhookSecret(config.secret);
    return [];
  } catch (e) {
    return [`secret: ${(e as Error).message}`];
  }
}
