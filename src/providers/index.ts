import type { ProviderName } from '../event/ci-event-schema';
import { genericProvider } from './generic';
import { githubProvider } from './github';
import type { Provider } from './provider';

/** The explicit provider registry: one line per provider. */
export const providers = {
  github: githubProvider,
  generic: genericProvider,
} satisfies Partial<Record<ProviderName, Provider>>;

/** The provider for a configured name, or undefined when this build does not support it. */
export function findProvider(name: ProviderName): Provider | undefined {
  return (providers as Partial<Record<ProviderName, Provider>>)[name];
}
