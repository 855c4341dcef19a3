// The ci-relay dashboard: asks for an API key once, then shows the /v1 API live.
import { render } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, callApi, followStream, keyStore } from './api.js';
import { html } from './html.js';
import { readParams, writeParams } from './url-state.js';
import { RunsPanel } from './runs.js';
import { EventsPanel } from './events.js';
import { DeliveriesPanel } from './deliveries.js';
import { SilencesPanel } from './silences.js';
import { RouteTester } from './route-tester.js';
import { InsightsPanel } from './insights.js';

const views = [
  { id: 'runs', label: 'Runs', Panel: RunsPanel },
  { id: 'events', label: 'Events', Panel: EventsPanel },
  { id: 'deliveries', label: 'Deliveries', Panel: DeliveriesPanel },
  { id: 'silences', label: 'Silences', Panel: SilencesPanel },
  { id: 'route-test', label: 'Route tester', Panel: RouteTester },
  { id: 'insights', label: 'Insights', Panel: InsightsPanel },
];

/** What a failed key check means, in words. */
function keyProblem(error) {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'That key is not accepted: it is unknown, mistyped or expired.';
    if (error.status === 403) return `That key may not read: ${error.message}.`;
    if (error.status === 404)
      return 'The API is not enabled on this relay: its config has no "api" section with keys.';
    if (error.status === 429) return 'Too many requests for this key; wait a moment and try again.';
    return error.message;
  }
  return String(error?.message ?? error);
}

function KeyPrompt({ onKey, problem, busy }) {
  const [value, setValue] = useState('');
  const input = useRef(null);
  useEffect(() => input.current?.focus(), []);
  const submit = (e) => {
    e.preventDefault();
    if (value.trim()) onKey(value.trim());
  };
  return html`<main class="key-prompt">
    <form class="card" onSubmit=${submit} aria-labelledby="key-title">
      <h1 id="key-title">ci-relay</h1>
      <p>
        Enter an API key of this relay to open the dashboard. It is kept in this tab only (session storage)
        and sent as a bearer token; it never goes into a URL.
      </p>
      <label for="api-key">API key</label>
      <input
        id="api-key"
        ref=${input}
        type="password"
        autocomplete="off"
        spellcheck="false"
        value=${value}
        onInput=${(e) => setValue(e.currentTarget.value)}
      />
      ${problem && html`<p class="problem" role="alert">${problem}</p>`}
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Checking…' : 'Open dashboard'}</button>
    </form>
  </main>`;
}

function App() {
  const [key, setKey] = useState(() => keyStore.get());
  const [who, setWho] = useState(null);
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);
  const [view, setView] = useState(() =>
    views.some((v) => v.id === readParams().view) ? readParams().view : 'runs',
  );
  const [connection, setConnection] = useState('connecting');
  const listeners = useRef(new Set());

  const forget = useCallback((message = '') => {
    keyStore.clear();
    setKey(null);
    setWho(null);
    setProblem(message);
  }, []);

  const tryKey = useCallback(
    async (candidate) => {
      setBusy(true);
      try {
        const me = await callApi(candidate, 'GET', '/v1/whoami');
        keyStore.set(candidate);
        setKey(candidate);
        setWho(me);
        setProblem('');
      } catch (error) {
        forget(keyProblem(error));
      } finally {
        setBusy(false);
      }
    },
    [forget],
  );

  // A key from this tab's storage is checked again on load.
  useEffect(() => {
    if (key && !who) void tryKey(key);
  }, []);

  useEffect(() => {
    if (!key || !who) return undefined;
    const stream = followStream(key, {
      onEntry: (entry) => {
        for (const listener of listeners.current) listener(entry);
      },
      onState: setConnection,
      onUnauthorized: () => forget('The key is no longer accepted; enter a key again.'),
    });
    return () => stream.stop();
  }, [key, who, forget]);

  const live = useMemo(
    () => ({
      subscribe(listener) {
        listeners.current.add(listener);
        return () => listeners.current.delete(listener);
      },
    }),
    [],
  );

  const api = useCallback(
    async (method, path, body) => {
      try {
        return await callApi(key, method, path, body);
      } catch (error) {
        if (error instanceof ApiError && error.status === 401)
          forget('The key is no longer accepted; enter a key again.');
        throw error;
      }
    },
    [key, forget],
  );

  const choose = (id) => {
    setView(id);
    writeParams({ view: id === 'runs' ? '' : id });
  };
  const onTabKey = (e) => {
    const i = views.findIndex((v) => v.id === view);
    const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : undefined;
    if (next === undefined) return;
    const target = views[(next + views.length) % views.length];
    choose(target.id);
    document.getElementById(`tab-${target.id}`)?.focus();
  };

  if (!key || !who)
    return html`<${KeyPrompt} onKey=${tryKey} problem=${problem} busy=${busy || (key && !who)} />`;

  const canWrite = who.scopes.includes('write');
  const current = views.find((v) => v.id === view) ?? views[0];
  const connectionText = { live: 'live', connecting: 'connecting…', reconnecting: 'reconnecting…' }[
    connection
  ];
  return html`
    <header class="top">
      <h1>ci-relay</h1>
      <nav role="tablist" aria-label="Views" onKeyDown=${onTabKey}>
        ${views.map(
          (v) =>
            html`<button
              role="tab"
              id=${`tab-${v.id}`}
              aria-selected=${v.id === view}
              aria-controls="panel"
              tabindex=${v.id === view ? 0 : -1}
              onClick=${() => choose(v.id)}
            >
              ${v.label}
            </button>`,
        )}
      </nav>
      <div class="who">
        <span class=${`connection ${connection}`} role="status" data-state=${connection}
          >${connectionText}</span
        >
        <span class="key-id" title=${`scopes: ${who.scopes.join(', ')}`}
          >${who.id} · ${who.scopes.join('+')}</span
        >
        <button class="link" onClick=${() => forget('')}>Forget key</button>
      </div>
    </header>
    <main id="panel" role="tabpanel" aria-labelledby=${`tab-${current.id}`} data-view=${current.id}>
      <${current.Panel} api=${api} live=${live} who=${who} canWrite=${canWrite} />
    </main>
  `;
}

render(html`<${App} />`, document.getElementById('app'));
