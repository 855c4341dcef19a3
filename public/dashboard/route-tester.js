// Route tester: which routes and sinks an event or a raw webhook would reach, and what would suppress each.
import { useState } from 'preact/hooks';
import { dots } from './format.js';
import { html } from './html.js';

const providers = [
  'github',
  'gitlab',
  'circleci',
  'buildkite',
  'bitbucket',
  'gitea',
  'forgejo',
  'jenkins',
  'azure-devops',
  'travis',
  'generic',
];
const headerHints = {
  github: 'x-github-event: workflow_run',
  gitlab: 'x-gitlab-event: Pipeline Hook',
  gitea: 'x-gitea-event: workflow_run',
  forgejo: 'x-forgejo-event: workflow_run',
  bitbucket: 'x-event-key: repo:commit_status_updated',
  buildkite: 'x-buildkite-event: build.finished',
  circleci: 'circleci-event-type: workflow-completed',
  'azure-devops': '',
};

/** "name: value" lines as an object. */
function parseHeaders(text) {
  const headers = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return headers;
}

export function RouteTester({ api, canWrite, who }) {
  const [provider, setProvider] = useState('event');
  const [headers, setHeaders] = useState('');
  const [body, setBody] = useState('');
  const [answer, setAnswer] = useState(null);
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e) => {
    e.preventDefault();
    setProblem('');
    let parsed;
    try {
      parsed = JSON.parse(body);
    } catch {
      if (provider === 'event') return setProblem('The CiEvent must be JSON.');
      parsed = body;
    }
    setBusy(true);
    try {
      const request =
        provider === 'event' ? { event: parsed } : { provider, headers: parseHeaders(headers), body: parsed };
      setAnswer(await api('POST', '/v1/route-test', request));
    } catch (err) {
      setAnswer(null);
      setProblem(err.message);
    } finally {
      setBusy(false);
    }
  };

  if (!canWrite)
    return html`<section aria-labelledby="rt-title">
      <h2 id="rt-title">Route tester</h2>
      <p class="note">
        The route tester needs a key with the write scope; "${who.id}" has ${who.scopes.join(', ')}.
      </p>
    </section>`;

  return html`<section aria-labelledby="rt-title">
    <div class="panel-head">
      <h2 id="rt-title">Route tester</h2>
      <p class="muted">Nothing is sent: the relay only says where this would go.</p>
    </div>
    <form class="card route-test" onSubmit=${submit}>
      <label
        >Input
        <select name="provider" value=${provider} onChange=${(e) => setProvider(e.currentTarget.value)}>
          <option value="event">CiEvent (normalized)</option>
          ${providers.map((p) => html`<option value=${p}>${p} webhook</option>`)}
        </select>
      </label>
      ${
        provider !== 'event' &&
        html`<label
          >Headers (one "name: value" a line)
          <textarea
            name="headers"
            rows="3"
            spellcheck="false"
            placeholder=${headerHints[provider] ?? ''}
            value=${headers}
            onInput=${(e) => setHeaders(e.currentTarget.value)}
          ></textarea>
        </label>`
      }
      <label
        >${provider === 'event' ? 'CiEvent JSON' : 'Body'}
        <textarea
          name="body"
          rows="10"
          spellcheck="false"
          value=${body}
          onInput=${(e) => setBody(e.currentTarget.value)}
        ></textarea>
      </label>
      <button type="submit" class="primary" disabled=${busy || !body.trim()}>
        ${busy ? 'Testing…' : 'Test routes'}
      </button>
    </form>
    ${problem && html`<p class="problem" role="alert">${problem}</p>`}
    ${
      answer &&
      html`<div class="route-result" data-testid="route-result">
        ${answer.ignored && html`<p class="note">Ignored: ${answer.ignored}</p>`}
        ${answer.results.length === 0 && !answer.ignored && html`<p class="empty">No event came of it.</p>`}
        ${answer.results.map(
          (r) =>
            html`<div class="card">
              <h3>
                <span class=${`badge status-${r.event.status}`}>${r.event.status}</span>
                ${dots(r.event.repository.name, r.event.job ? `${r.event.pipeline.name} / ${r.event.job.name}` : r.event.pipeline.name, r.event.branch, r.event.kind, r.event.transition)}
              </h3>
              ${r.routes.length === 0 && html`<p class="empty">No route matches this event: it would notify no one.</p>`}
              <ul class="route-list">
                ${r.routes.map(
                  (route) =>
                    html`<li>
                      <strong>route ${route.route}</strong
                      >${route.continue ? html` <span class="muted">(continue)</span>` : ''}
                      <ul>
                        ${route.sinks.map(
                          (s) =>
                            html`<li class=${s.wouldSend ? 'would-send' : 'suppressed'}>
                              <span class=${`badge ${s.wouldSend ? 'status-success' : 'status-skipped'}`}
                                >${s.wouldSend ? 'would send' : 'suppressed'}</span
                              >
                              ${s.sink} <span class="muted">(${s.type})</span>
                              ${s.suppressedBy.map((x) => html`<div class="muted">${x.kind}: ${x.reason}</div>`)}
                            </li>`,
                        )}
                      </ul>
                    </li>`,
                )}
              </ul>
            </div>`,
        )}
      </div>`
    }
  </section>`;
}
