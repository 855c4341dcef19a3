import { Type, type Static } from '@sinclair/typebox';
import { stringEnum } from '../../src/event/string-enum';
import { sinkConfigSchema } from '../sink-config-schema';
import { webhookTimeoutSchema } from '../webhook-timeout';

/** PagerDuty's severities. https://developer.pagerduty.com/docs/send-alert-event */
export const pagerDutySeverities = ['critical', 'error', 'warning', 'info'] as const;

/** Config of a `pagerduty` sink: an Events API v2 integration of a service. */
export const pagerDutySinkConfigSchema = sinkConfigSchema('pagerduty', {
  routingKey: Type.String({
    minLength: 1,
    description: "the integration key of the service's Events API v2 integration (a secret)",
  }),
  severity: Type.Optional(stringEnum(pagerDutySeverities, 'severity of triggered alerts (default error)')),
  apiUrl: Type.Optional(
    Type.String({
      pattern: '^https?://',
      default: 'https://events.pagerduty.com/v2/enqueue',
      description:
        'Events API v2 endpoint (tests; https://events.eu.pagerduty.com/v2/enqueue for EU accounts)',
    }),
  ),
  timeoutMs: webhookTimeoutSchema,
});
/** Config of a `pagerduty` sink. */
export type PagerDutySinkConfig = Static<typeof pagerDutySinkConfigSchema>;

/** @defaultValue PagerDuty's Events API v2 endpoint */
export const defaultPagerDutyApiUrl = 'https://events.pagerduty.com/v2/enqueue';
