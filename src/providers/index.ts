import type { ProviderName } from '../event/ci-event-schema';
import { azureDevopsProvider } from './azure-devops';
import { bitbucketProvider } from './bitbucket';
import { buildkiteProvider } from './buildkite';
import { circleciProvider } from './circleci';
import { forgejoProvider } from './forgejo';
import { genericProvider } from './generic';
import { giteaProvider } from './gitea';
import { githubProvider } from './github';
import { gitlabProvider } from './gitlab';
import { jenkinsProvider } from './jenkins';
import type { Provider } from './provider';
import { travisProvider } from './travis';

/** The explicit provider registry: one line per provider. */
export const providers = {
  github: githubProvider,
  gitlab: gitlabProvider,
  circleci: circleciProvider,
  buildkite: buildkiteProvider,
  bitbucket: bitbucketProvider,
  gitea: giteaProvider,
  forgejo: forgejoProvider,
  jenkins: jenkinsProvider,
  'azure-devops': azureDevopsProvider,
  travis: travisProvider,
  generic: genericProvider,
} satisfies Record<ProviderName, Provider>;
