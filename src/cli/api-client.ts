/** Where the CLI finds the relay's API, and the key it calls it with. */
export interface ApiClientOptions {
  /** @defaultValue `$CI_RELAY_URL`, else `http://localhost:8080` */
  url?: string | undefined;
  /** @defaultValue `$CI_RELAY_API_KEY` */
  key?: string | undefined;
  fetch?: typeof fetch;
}

/** A failed API call; the message is the API's own error message. */
export class ApiCallError extends Error {
  override name = 'ApiCallError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A small client of the `/v1` API for the CLI commands. The key is read from the environment, never a flag. */
export function createApiClient(options: ApiClientOptions = {}, env: NodeJS.ProcessEnv = process.env) {
  const base = (options.url ?? env.CI_RELAY_URL ?? 'http://localhost:8080').replace(/\/+$/, '');
  const key = options.key ?? env.CI_RELAY_API_KEY;
  const doFetch = options.fetch ?? globalThis.fetch;
  const call = async <T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> => {
    if (!key)
      throw new ApiCallError(0, '[cli] set CI_RELAY_API_KEY to an API key (ci-relay api-key makes one)');
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (e) {
      throw new ApiCallError(0, `[cli] cannot reach ${base}: ${(e as Error).message}; set CI_RELAY_URL`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const message =
        (json as { error?: { message?: string } } | undefined)?.error?.message ?? text.slice(0, 200);
      throw new ApiCallError(res.status, `[cli] ${method} ${path}: ${res.status} ${message}`);
    }
    return json as T;
  };
  return {
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body?: unknown) => call<T>('POST', path, body),
    delete: <T>(path: string) => call<T>('DELETE', path),
  };
}

/** The API client type. */
export type ApiClient = ReturnType<typeof createApiClient>;
