import { genericConformance } from './generic';
import { githubConformance } from './github';
import type { ProviderConformance } from './provider-conformance';

/** Every provider's conformance description: one line per provider. */
export const providerConformance: readonly ProviderConformance[] = [githubConformance, genericConformance];
