import { Type, type Static } from '@sinclair/typebox';
import { stringEnum } from '../../src/event/string-enum';
import { sinkConfigSchema } from '../sink-config-schema';

/** Config of an `http` sink. */
export const httpSinkConfigSchema = sinkConfigSchema('http', {
  url: Type.String({ pattern: '^https?://', description: 'where to POST' }),
  secret: Type.Optional(
    Type.String({ pattern: '^whsec_', description: 'Standard Webhooks signing secret (whsec_...)' }),
  ),
  headers: Type.Optional(
    Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]+$' }), Type.String(), {
      description: 'extra request headers',
    }),
  ),
  format: Type.Optional(
    stringEnum(
      ['relay', 'cdevents'],
      'relay: { type, timestamp, data: CiEvent }; cdevents: a CDEvent in a CloudEvent',
    ),
  ),
  timeoutMs: Type.Optional(
    Type.Integer({ minimum: 100, maximum: 120000, default: 10000, description: 'per attempt' }),
  ),
});
/** Config of an `http` sink. */
export type HttpSinkConfig = Static<typeof httpSinkConfigSchema>;

/** @defaultValue 10 s per attempt */
export const defaultHttpTimeoutMs = 10_000;
