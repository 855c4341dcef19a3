import { azureDevopsConformance } from './azure-devops';
import { bitbucketConformance } from './bitbucket';
import { buildkiteConformance } from './buildkite';
import { circleciConformance } from './circleci';
import { forgejoConformance } from './forgejo';
import { genericConformance } from './generic';
import { giteaConformance } from './gitea';
import { githubConformance } from './github';
import { gitlabConformance } from './gitlab';
import { jenkinsConformance } from './jenkins';
import { travisConformance } from './travis';
import type { ProviderConformance } from './provider-conformance';

/** Every provider's conformance description: one line per provider. */
export const providerConformance: readonly ProviderConformance[] = [
  githubConformance,
  gitlabConformance,
  circleciConformance,
  buildkiteConformance,
  bitbucketConformance,
  azureDevopsConformance,
  giteaConformance,
  forgejoConformance,
  jenkinsConformance,
  travisConformance,
  genericConformance,
];
