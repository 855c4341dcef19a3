// Recent events, newest first, live, with the notifications each produced.
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { ago, dots, when } from './format.js';
import { useClock } from './runs.js';

const keep = 100;

export function EventsPanel({ api, live }) {
  const [events, setEvents] = useState(null);
  const [deliveries, setDeliveries] = useState(() => new Map());
  const [error, setError] = useState('');
  const now = useClock();

  const load = async () => {
    try {
      const [page, notes] = await Promise.all([
        api('GET', `/v1/events?limit=${keep}`),
        api('GET', '/v1/deliveries?limit=500'),
      ]);
      setEvents(page.items);
      setDeliveries(new Map(notes.items.map((d) => [d.id, d])));
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
        if (entry.type === 'ci-event')
          setEvents((list) =>
            list ? [entry.data, ...list.filter((e) => e.id !== entry.data.id)].slice(0, keep) : list,
          );
        if (entry.type === 'delivery') setDeliveries((map) => new Map(map).set(entry.data.id, entry.data));
      }),
    [],
  );

  const byEvent = new Map();
  for (const d of deliveries.values()) byEvent.set(d.eventId, [...(byEvent.get(d.eventId) ?? []), d]);

  return html`<section aria-labelledby="events-title">
    <div class="panel-head">
      <h2 id="events-title">Events</h2>
      <p class="muted">
        The last ${keep} CI events received, newest first, and the notifications each produced.
      </p>
    </div>
    ${error && html`<p class="problem" role="alert">${error}</p>`}
    ${events === null && !error && html`<p class="muted">Loading…</p>`}
    ${events?.length === 0 && html`<p class="empty">No events yet.</p>`}
    <ul class="events">
      ${events?.map(
        (e) =>
          html`<li key=${e.id} class=${`event status-${e.status}`} data-event=${e.id}>
            <span class=${`badge status-${e.status}`}>${e.status}</span>
            <span class="event-what">
              <strong>${e.kind === 'job' ? `${e.pipeline.name} / ${e.job?.name}` : e.pipeline.name}</strong>${' '}
              <span class="muted">${dots(e.repository.name, e.branch, e.pipeline.number !== undefined && `#${e.pipeline.number}`, e.kind, e.provider)}</span>
            </span>
            <span class="muted" title=${when(e.receivedAt)}>${ago(e.receivedAt, now)}</span>
            <span class="notes">
              ${(byEvent.get(e.id) ?? []).map(
                (d) =>
                  html`<span class=${`chip delivery-${d.state}`} title=${d.error ?? `${d.route} → ${d.sink}`}
                    >${d.sink}: ${d.state}</span
                  >`,
              )}
            </span>
          </li>`,
      )}
    </ul>
  </section>`;
}
