// Talks to the relay's /v1 API with the key the user entered. The key lives in this tab's
// sessionStorage only and travels in the Authorization header, never in a URL.

const storageKey = 'ci-relay.apiKey';

/** The key of this tab, or null. */
export const keyStore = {
  get: () => sessionStorage.getItem(storageKey),
  set: (key) => sessionStorage.setItem(storageKey, key),
  clear: () => sessionStorage.removeItem(storageKey),
};

/** An answer other than 2xx, with the API's error code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** Calls the API and answers its JSON body; throws ApiError on an error answer. */
export async function callApi(key, method, path, body) {
  const headers = { authorization: `Bearer ${key}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'network', 'the relay cannot be reached');
  }
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok)
    throw new ApiError(
      res.status,
      json?.error?.code ?? `http_${res.status}`,
      json?.error?.message ?? `the relay answered ${res.status}`,
    );
  return json;
}

/** A query string from an object, skipping empty values; arrays repeat the key. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    for (const v of Array.isArray(value) ? value : [value])
      if (v !== undefined && v !== null && v !== '') search.append(key, String(v));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * Follows GET /v1/stream with fetch and a ReadableStream (EventSource cannot send the Authorization
 * header). Reconnects with Last-Event-ID after a drop, backing off up to 15 s.
 * Calls onEntry({ type, id, data }), onState('connecting' | 'live' | 'reconnecting'), onUnauthorized().
 */
export function followStream(key, { onEntry, onState, onUnauthorized }) {
  let stopped = false;
  let controller;
  let lastId;
  let delay = 1000;

  const dispatch = (block) => {
    let type = 'message';
    let id;
    const data = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (id !== undefined) lastId = id;
    if (data.length === 0) return;
    let parsed;
    try {
      parsed = JSON.parse(data.join('\n'));
    } catch {
      return;
    }
    onEntry({ type, id, data: parsed });
  };

  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        onState('connecting');
        const headers = { authorization: `Bearer ${key}`, accept: 'text/event-stream' };
        if (lastId) headers['last-event-id'] = lastId;
        const res = await fetch('/v1/stream', {
          headers,
          signal: controller.signal,
          cache: 'no-store',
          credentials: 'omit',
        });
        if (res.status === 401) {
          onUnauthorized();
          return;
        }
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        onState('live');
        delay = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer = (buffer + value).replace(/\r\n?/g, '\n');
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        // dropped or aborted: reconnect below unless stopped
      }
      if (stopped) return;
      onState('reconnecting');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15_000);
    }
  };
  void run();
  return {
    stop() {
      stopped = true;
      controller?.abort();
    },
  };
}
