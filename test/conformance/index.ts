import { azureDevopsConformance } from './azure-devops';
import { bitbucketConformance } from './bitbucket';
import { genericConformance } from './generic';
import { githubConformance } from './github';
import { gitlabConformance } from './gitlab';
import type { ProviderConformance } from './provider-conformance';

/** Every provider's conformance description: one line per provider. */
export const providerConformance: readonly ProviderConformance[] = [
  githubConformance,
  gitlabConformance,
  bitbucketConformance,
  azureDevopsConformance,
  genericConformance,
];
