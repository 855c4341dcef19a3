// Silences (noise control): list, create with an end time and a comment, expire.
// Shown only when this relay serves /v1/silences; older relays say so instead.
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { ago, until, when } from './format.js';
import { useClock } from './runs.js';

const matchKeys = ['repository', 'branch', 'pipeline', 'job', 'status', 'source'];
const lengths = [
  ['1h', 3_600_000],
  ['4h', 4 * 3_600_000],
  ['24h', 24 * 3_600_000],
  ['7d', 7 * 24 * 3_600_000],
];

/** Whether this relay has the silences API: its OpenAPI document lists it (read without a key). */
async function hasSilences() {
  try {
    const res = await fetch('/v1/openapi.json', { cache: 'no-store', credentials: 'omit' });
    if (!res.ok) return false;
    const doc = await res.json();
    return Boolean(doc?.paths?.['/v1/silences']);
  } catch {
    return false;
  }
}

function matchText(match) {
  return Object.entries(match ?? {})
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`)
    .join(' ');
}

export function SilencesPanel({ api, canWrite, who }) {
  const [available, setAvailable] = useState(null);
  const [items, setItems] = useState(null);
  const [error, setError] = useState('');
  const [form, setForm] = useState({
    repository: '',
    branch: '',
    pipeline: '',
    job: '',
    status: '',
    source: '',
    length: '4h',
    comment: '',
  });
  const [message, setMessage] = useState('');
  const now = useClock();

  const load = async () => {
    try {
      const answer = await api('GET', '/v1/silences');
      setItems(Array.isArray(answer) ? answer : (answer?.items ?? []));
      setError('');
    } catch (e) {
      if (e.status === 404) setAvailable(false);
      else setError(e.message);
    }
  };
  useEffect(() => {
    void hasSilences().then((yes) => {
      setAvailable(yes);
      if (yes) void load();
    });
  }, []);

  const create = async (e) => {
    e.preventDefault();
    const match = {};
    for (const k of matchKeys) if (form[k].trim()) match[k] = form[k].trim();
    if (Object.keys(match).length === 0) return setMessage('Give at least one match key, e.g. a repository.');
    const ms = lengths.find(([name]) => name === form.length)?.[1] ?? 3_600_000;
    try {
      await api('POST', '/v1/silences', {
        match,
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + ms).toISOString(),
        comment: form.comment.trim() || `silenced from the dashboard by ${who.id}`,
      });
      setMessage('Silence created.');
      setForm((f) => ({ ...f, comment: '' }));
      await load();
    } catch (err) {
      setMessage(err.message);
    }
  };
  const expire = async (id) => {
    try {
      await api('DELETE', `/v1/silences/${encodeURIComponent(id)}`);
      await load();
    } catch (err) {
      setMessage(err.message);
    }
  };
  const field = (name) => (e) => setForm((f) => ({ ...f, [name]: e.currentTarget.value }));

  return html`<section aria-labelledby="silences-title">
    <div class="panel-head">
      <h2 id="silences-title">Silences</h2>
      <p class="muted">Notifications matching an active silence are recorded as silenced, not sent.</p>
    </div>
    ${available === null && html`<p class="muted">Loading…</p>`}
    ${available === false && html`<p class="note" data-testid="silences-unavailable">Silences are not available on this relay (its API has no /v1/silences).</p>`}
    ${error && html`<p class="problem" role="alert">${error}</p>`}
    ${
      available &&
      html`
        ${items?.length === 0 && html`<p class="empty">No silences.</p>`}
        <ul class="silences">
          ${items?.map(
            (s) =>
              html`<li key=${s.id} class=${`silence silence-${s.state}`}>
                <span class=${`badge silence-${s.state}`}>${s.state}</span>
                <span
                  ><code>${matchText(s.match)}</code><br /><span class="muted"
                    >${s.comment} — ${s.createdBy}</span
                  ></span
                >
                <span class="muted" title=${`${when(s.startsAt)} – ${when(s.endsAt)}`}>
                  ${Date.parse(s.endsAt) > now ? `ends ${until(s.endsAt, now)}` : `ended ${ago(s.endsAt, now)}`}
                </span>
                ${canWrite && s.state !== 'expired' && html`<button class="small" onClick=${() => expire(s.id)}>Expire</button>`}
              </li>`,
          )}
        </ul>
        ${
          canWrite
            ? html`<form class="card silence-form" onSubmit=${create}>
                <h3>New silence</h3>
                <div class="grid">
                  ${matchKeys.map((k) => html`<label>${k}<input name=${k} value=${form[k]} onInput=${field(k)} placeholder="glob" /></label>`)}
                  <label
                    >for
                    <select name="length" value=${form.length} onChange=${field('length')}>
                      ${lengths.map(([name]) => html`<option value=${name}>${name}</option>`)}
                    </select>
                  </label>
                </div>
                <label
                  >comment<input name="comment" value=${form.comment} onInput=${field('comment')} placeholder="why"
                /></label>
                <button class="primary" type="submit">Create silence</button>
                ${message && html`<p role="status">${message}</p>`}
              </form>`
            : html`<p class="note">Creating or expiring silences needs a key with the write scope.</p>`
        }
      `
    }
  </section>`;
}
