// Failed and retrying deliveries, with their error and next retry; Retry for write keys.
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { ago, until, when } from './format.js';
import { useClock } from './runs.js';

const shown = new Set(['failed', 'retrying']);

export function DeliveriesPanel({ api, live, who, canWrite }) {
  const [items, setItems] = useState(null);
  const [retried, setRetried] = useState(() => new Set());
  const [messages, setMessages] = useState({});
  const [error, setError] = useState('');
  const now = useClock(5000);

  const load = async () => {
    try {
      const page = await api('GET', '/v1/deliveries?state=failed&state=retrying&limit=200');
      setItems(page.items);
      setError('');
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => void load(), []);
  useEffect(
    () =>
      live.subscribe((entry) => {
        if (entry.type === 'reset') return void load();
        if (entry.type !== 'delivery') return;
        const d = entry.data;
        setItems((list) => {
          if (!list) return list;
          const rest = list.filter((x) => x.id !== d.id);
          const had = rest.length !== list.length;
          return shown.has(d.state) || had ? [d, ...rest] : list;
        });
      }),
    [],
  );

  const retry = async (id) => {
    setMessages((m) => ({ ...m, [id]: 'retrying…' }));
    try {
      await api('POST', `/v1/deliveries/${encodeURIComponent(id)}/retry`);
      setRetried((s) => new Set(s).add(id));
      setMessages((m) => ({ ...m, [id]: 'queued again' }));
    } catch (e) {
      setMessages((m) => ({ ...m, [id]: e.message }));
    }
  };

  const visible = items?.filter((d) => shown.has(d.state) || retried.has(d.id)) ?? null;
  return html`<section aria-labelledby="deliveries-title">
    <div class="panel-head">
      <h2 id="deliveries-title">Deliveries</h2>
      <p class="muted">Notifications that failed or are being retried.</p>
    </div>
    ${
      !canWrite &&
      html`<p class="note" data-testid="retry-note">
        Retry buttons are hidden: the key "${who.id}" has the ${who.scopes.join(', ')} scope only, and
        retrying a delivery needs a key with the write scope.
      </p>`
    }
    ${error && html`<p class="problem" role="alert">${error}</p>`}
    ${visible === null && !error && html`<p class="muted">Loading…</p>`}
    ${visible?.length === 0 && html`<p class="empty">No failed or retrying deliveries.</p>`}
    <ul class="deliveries">
      ${visible?.map(
        (d) =>
          html`<li
            key=${d.id}
            class=${`delivery delivery-${d.state}`}
            data-delivery=${d.id}
            data-state=${d.state}
          >
            <span class=${`badge delivery-${d.state}`}>${d.state}</span>
            <span class="delivery-what">
              <strong>${d.sink}</strong> <span class="muted">via ${d.route}</span>
              <span class="muted"> · ${d.repository} · ${d.pipeline}${d.branch ? ` · ${d.branch}` : ''}</span>
              ${d.error && html`<span class="error-text">${d.error}</span>`}
            </span>
            <span class="muted">
              ${d.state === 'retrying' && d.nextAttemptAt ? html`<span title=${when(d.nextAttemptAt)}>next retry ${until(d.nextAttemptAt, now)}</span>` : html`<span title=${when(d.updatedAt)}>${ago(d.updatedAt, now)}</span>`}
              ${` · ${d.attempts.length} attempt${d.attempts.length === 1 ? '' : 's'}`}
            </span>
            <span class="delivery-actions">
              ${canWrite && d.state === 'failed' && html`<button class="primary small" onClick=${() => retry(d.id)}>Retry<span class="sr-only"> delivery to ${d.sink}</span></button>`}
              ${messages[d.id] && html`<span class="muted" role="status">${messages[d.id]}</span>`}
            </span>
          </li>`,
      )}
    </ul>
  </section>`;
}
