import type { ProviderName } from '../event/ci-event-schema';
import { azureDevopsProvider } from './azure-devops';
import { bitbucketProvider } from './bitbucket';
import { genericProvider } from './generic';
import { githubProvider } from './github';
import { gitlabProvider } from './gitlab';
import type { Provider } from './provider';

/** The explicit provider registry: one line per provider. */
export const providers = {
  github: githubProvider,
  gitlab: gitlabProvider,
  bitbucket: bitbucketProvider,
  'azure-devops': azureDevopsProvider,
  generic: genericProvider,
} satisfies Partial<Record<ProviderName, Provider>>;

/** The provider for a configured name, or undefined when this build does not support it. */
export function findProvider(name: ProviderName): Provider | undefined {
  return (providers as Partial<Record<ProviderName, Provider>>)[name];
}
