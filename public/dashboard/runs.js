// The run board: one row per pipeline and branch, updated live from the stream.
import { useEffect, useRef, useState } from 'preact/hooks';
import { query } from './api.js';
import { html } from './html.js';
import { ago, duration, safeUrl, transitionText, when } from './format.js';
import { readParams, writeParams } from './url-state.js';

export const statuses = [
  'queued',
  'waiting',
  'running',
  'success',
  'failure',
  'error',
  'cancelled',
  'skipped',
];
const finished = new Set(['success', 'failure', 'cancelled', 'skipped', 'error']);

/** Re-renders every `ms` so "2 min ago" stays true. */
export function useClock(ms = 15_000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** Whether a CiEvent belongs to a board row (same provider, repository, pipeline and branch or tag). */
const sameSeries = (row, event) =>
  row.provider === event.provider &&
  row.repository === event.repository.name &&
  row.pipeline === event.pipeline.name &&
  (row.branch ?? null) === (event.branch ?? null) &&
  (row.tag ?? null) === (event.tag ?? null);

/** A row with the event applied, as the relay's board will show it once it has stored the event. */
export function applyEvent(row, event) {
  const sameRun = row.runId === event.pipeline.id;
  if (
    !sameRun &&
    event.pipeline.number !== undefined &&
    row.number !== undefined &&
    event.pipeline.number < row.number
  )
    return row;
  const next = sameRun
    ? { ...row, jobs: [...row.jobs] }
    : { ...row, runId: event.pipeline.id, jobs: [], transition: undefined, durationMs: undefined };
  next.updatedAt = event.receivedAt > row.updatedAt ? event.receivedAt : row.updatedAt;
  if (event.pipeline.number !== undefined) next.number = event.pipeline.number;
  next.attempt = Math.max(sameRun ? row.attempt : 1, event.pipeline.attempt ?? 1);
  if (event.kind === 'pipeline') {
    next.status = event.status;
    next.transition = event.transition;
    if (event.pipeline.url) next.url = event.pipeline.url;
    next.durationMs = finished.has(event.status) ? event.durationMs : undefined;
    if (event.startedAt) next.startedAt = event.startedAt;
    return next;
  }
  if (!event.job) return row;
  const job = {
    id: event.job.id,
    name: event.job.name,
    status: event.status,
    attempt: event.pipeline.attempt ?? 1,
    url: event.job.url,
    durationMs: event.durationMs,
    updatedAt: event.receivedAt,
  };
  const i = next.jobs.findIndex((j) => j.name === job.name);
  if (i >= 0) next.jobs[i] = { ...next.jobs[i], ...job };
  else next.jobs.push(job);
  if (!finished.has(event.status) && finished.has(next.status)) {
    next.status = 'running';
    next.transition = undefined;
  }
  return next;
}

function StatusBadge({ status }) {
  return html`<span class=${`badge status-${status}`}>${status}</span>`;
}

function RunRow({ run, now }) {
  const [open, setOpen] = useState(false);
  const url = safeUrl(run.url);
  const jobsId = `jobs-${run.id.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  return html`<li class=${`run status-${run.status}`} data-series=${run.id} data-status=${run.status}>
    <div class="run-main">
      <${StatusBadge} status=${run.status} />
      <div class="run-name">
        <strong>${run.pipeline}</strong>
        <span class="muted">${run.repository}</span>
      </div>
      <div class="run-ref">${run.branch ?? (run.tag ? `tag ${run.tag}` : '–')}</div>
      <div class="run-transition">
        ${run.transition && html`<span class=${`transition t-${run.transition}`}>${transitionText(run.transition)}</span>`}
      </div>
      <div class="run-number">
        ${run.number !== undefined ? `#${run.number}` : ''}${run.attempt > 1 ? html` <span class="muted">attempt ${run.attempt}</span>` : ''}
      </div>
      <div class="run-duration" title="duration">
        ${finished.has(run.status) ? duration(run.durationMs) : ''}
      </div>
      <div class="run-updated" title=${when(run.updatedAt)}>${ago(run.updatedAt, now)}</div>
      <div class="run-actions">
        ${url && html`<a href=${url} target="_blank" rel="noopener noreferrer">open run<span class="sr-only"> ${run.pipeline} ${run.branch ?? ''}</span></a>`}
        <button class="link" aria-expanded=${open} aria-controls=${jobsId} onClick=${() => setOpen(!open)}>
          ${open ? 'hide' : 'jobs'} (${run.jobs.length})
        </button>
      </div>
    </div>
    ${
      open &&
      html`<ul class="jobs" id=${jobsId}>
        ${run.jobs.length === 0 && html`<li class="muted">no job events received for this run</li>`}
        ${run.jobs.map(
          (job) =>
            html`<li class=${`job status-${job.status}`}>
              <${StatusBadge} status=${job.status} />
              <span>${job.name}</span>
              ${job.attempt > 1 && html`<span class="muted">attempt ${job.attempt}</span>`}
              <span class="muted">${finished.has(job.status) ? duration(job.durationMs) : ''}</span>
              ${safeUrl(job.url) && html`<a href=${safeUrl(job.url)} target="_blank" rel="noopener noreferrer">log</a>`}
            </li>`,
        )}
      </ul>`
    }
  </li>`;
}

/** The board's filters, kept in the URL. */
function useFilters() {
  const [filters, setFilters] = useState(() => {
    const p = readParams();
    return { repository: p.repository ?? '', branch: p.branch ?? '', status: p.status ?? '' };
  });
  const update = (patch) => {
    writeParams(patch);
    setFilters((f) => ({ ...f, ...patch }));
  };
  return [filters, update];
}

export function RunsPanel({ api, live }) {
  const [filters, setFilter] = useFilters();
  const [runs, setRuns] = useState(null);
  const [error, setError] = useState('');
  const now = useClock();
  const refetchTimer = useRef();
  const generation = useRef(0);

  const load = async () => {
    const mine = ++generation.current;
    try {
      const page = await api('GET', `/v1/runs${query({ ...filters, limit: 200 })}`);
      if (mine === generation.current) {
        setRuns(page.items);
        setError('');
      }
    } catch (e) {
      if (mine === generation.current) setError(e.message);
    }
  };
  const loadSoon = (ms) => {
    clearTimeout(refetchTimer.current);
    refetchTimer.current = setTimeout(load, ms);
  };

  useEffect(() => {
    const timer = setTimeout(load, 200);
    return () => clearTimeout(timer);
  }, [filters.repository, filters.branch, filters.status]);

  useEffect(
    () =>
      live.subscribe((entry) => {
        if (entry.type === 'reset') return loadSoon(0);
        if (entry.type !== 'ci-event') return;
        const event = entry.data;
        let matched = false;
        setRuns(
          (rows) =>
            rows?.map((row) => {
              if (!sameSeries(row, event)) return row;
              matched = true;
              return applyEvent(row, event);
            }) ?? rows,
        );
        // The board is stored beside the stream entry: read it again to show exactly what it holds.
        loadSoon(matched ? 800 : 300);
      }),
    [filters.repository, filters.branch, filters.status],
  );
  useEffect(() => () => clearTimeout(refetchTimer.current), []);

  return html`<section aria-labelledby="runs-title">
    <div class="panel-head">
      <h2 id="runs-title">Runs</h2>
      <form class="filters" onSubmit=${(e) => e.preventDefault()}>
        <label
          >Repository
          <input
            name="repository"
            placeholder="acme/* (glob)"
            value=${filters.repository}
            onChange=${(e) => setFilter({ repository: e.currentTarget.value.trim() })}
        /></label>
        <label
          >Branch
          <input
            name="branch"
            placeholder="main"
            value=${filters.branch}
            onChange=${(e) => setFilter({ branch: e.currentTarget.value.trim() })}
        /></label>
        <label
          >Status
          <select
            name="status"
            value=${filters.status}
            onChange=${(e) => setFilter({ status: e.currentTarget.value })}
          >
            <option value="">any</option>
            ${statuses.map((s) => html`<option value=${s}>${s}</option>`)}
          </select>
        </label>
      </form>
    </div>
    ${error && html`<p class="problem" role="alert">${error}</p>`}
    ${runs === null && !error && html`<p class="muted">Loading…</p>`}
    ${runs?.length === 0 && html`<p class="empty">No runs${filters.repository || filters.branch || filters.status ? ' match these filters' : ' yet: they appear here as webhooks arrive'}.</p>`}
    ${
      runs?.length > 0 &&
      html`<ul class="runs" aria-label="Runs, most recently updated first">
        ${runs.map((run) => html`<${RunRow} key=${run.id} run=${run} now=${now} />`)}
      </ul>`
    }
  </section>`;
}
