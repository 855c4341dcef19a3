// Insights: runs, success rate, durations, queue time and failing jobs, with uPlot charts.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { query } from './api.js';
import { html } from './html.js';
import { duration, percent } from './format.js';
import { readParams, writeParams } from './url-state.js';

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** A uPlot chart that follows its container's width and the colour scheme. */
function Chart({ title, series, data, yFormat }) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const axis = {
      stroke: css('--muted'),
      grid: { stroke: css('--grid'), width: 1 },
      ticks: { stroke: css('--grid') },
    };
    const make = () =>
      new uPlot(
        {
          width: Math.max(240, el.clientWidth),
          height: 220,
          series: [
            {},
            ...series.map((s) => ({ ...s, stroke: css(s.color), fill: s.fill ? css(s.fill) : undefined })),
          ],
          axes: [axis, { ...axis, size: 72, values: (_u, ticks) => ticks.map(yFormat) }],
          scales: {
            x: { time: true },
            // Counts and durations start at zero, so bar heights compare.
            y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
          },
          legend: { live: false },
          cursor: { drag: { x: false, y: false } },
        },
        data,
        el,
      );
    let plot = make();
    const observer = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(240, el.clientWidth), height: 220 }),
    );
    observer.observe(el);
    const scheme = matchMedia('(prefers-color-scheme: dark)');
    const recolor = () => {
      plot.destroy();
      plot = make();
    };
    scheme.addEventListener('change', recolor);
    return () => {
      observer.disconnect();
      scheme.removeEventListener('change', recolor);
      plot.destroy();
    };
  }, [data]);
  return html`<figure class="chart card">
    <figcaption>${title}</figcaption>
    <div ref=${box} class="chart-box" role="img" aria-label=${title}></div>
  </figure>`;
}

function Figure({ label, value, hint }) {
  return html`<div class="figure card">
    <div class="figure-value">${value}</div>
    <div class="figure-label">${label}</div>
    ${hint && html`<div class="muted small-text">${hint}</div>`}
  </div>`;
}

/** Seconds as a short axis label: "40 s", "5.5 min", "1.2 h". */
function axisDuration(seconds) {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${+(seconds / 60).toFixed(1)} min`;
  return `${+(seconds / 3600).toFixed(1)} h`;
}

const bars = uPlot.paths.bars({ size: [0.7, 60] });

export function InsightsPanel({ api, live }) {
  const [filters, setFilters] = useState(() => {
    const p = readParams();
    return {
      window: p.window === '7d' ? '7d' : '24h',
      repository: p.repository ?? '',
      pipeline: p.pipeline ?? '',
    };
  });
  const [data, setData] = useState(null);
  const [error, setError] = useState('');
  const set = (patch) => {
    writeParams(patch.window ? { ...patch, window: patch.window === '24h' ? '' : patch.window } : patch);
    setFilters((f) => ({ ...f, ...patch }));
  };
  const load = async () => {
    try {
      setData(await api('GET', `/v1/insights${query(filters)}`));
      setError('');
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => void load(), [filters.window, filters.repository, filters.pipeline]);
  useEffect(() => {
    let timer;
    const off = live.subscribe((entry) => {
      if (entry.type !== 'ci-event') return;
      // At most one refresh every 3 s while events arrive.
      timer ??= setTimeout(() => {
        timer = undefined;
        void load();
      }, 3000);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [filters.window, filters.repository, filters.pipeline]);

  const s = data?.series;
  // Each bar sits in the middle of its bucket; empty buckets draw nothing rather than a flat stroke.
  const x = s?.start.map((t) => (Date.parse(t) + s.bucketMs / 2) / 1000);
  const counts = (list) => list.map((v) => (v === 0 ? null : v));
  const seconds = (list) => list.map((v) => (v === null ? null : v / 1000));
  const t = data?.totals;
  return html`<section aria-labelledby="insights-title">
    <div class="panel-head">
      <h2 id="insights-title">Insights</h2>
      <form class="filters" onSubmit=${(e) => e.preventDefault()}>
        <label
          >Window
          <select
            name="window"
            value=${filters.window}
            onChange=${(e) => set({ window: e.currentTarget.value })}
          >
            <option value="24h">last 24 h</option>
            <option value="7d">last 7 days</option>
          </select>
        </label>
        <label
          >Repository
          <input
            name="repository"
            placeholder="glob"
            value=${filters.repository}
            onChange=${(e) => set({ repository: e.currentTarget.value.trim() })}
        /></label>
        <label
          >Pipeline
          <input
            name="pipeline"
            placeholder="glob"
            value=${filters.pipeline}
            onChange=${(e) => set({ pipeline: e.currentTarget.value.trim() })}
        /></label>
      </form>
    </div>
    ${error && html`<p class="problem" role="alert">${error}</p>`}
    ${!data && !error && html`<p class="muted">Loading…</p>`}
    ${
      data &&
      html`
        ${data.truncated && html`<p class="note">Only the newest ${data.events} events were read; the oldest part of the window is not counted.</p>`}
        <div class="figures">
          <${Figure}
            label="finished runs"
            value=${t.runs}
            hint=${`${t.failed} failed · ${t.cancelled} cancelled`}
          />
          <${Figure} label="success rate" value=${percent(t.successRate)} />
          <${Figure}
            label="duration p50 / p95"
            value=${t.durationMs ? `${duration(t.durationMs.p50)} / ${duration(t.durationMs.p95)}` : '–'}
          />
          <${Figure}
            label="queue time p50 / p95"
            value=${t.queueMs ? `${duration(t.queueMs.p50)} / ${duration(t.queueMs.p95)}` : '–'}
            hint="jobs waiting for a runner"
          />
        </div>
        <div class="charts">
          <${Chart}
            title="Runs and failures"
            data=${[x, counts(s.runs), counts(s.failed)]}
            yFormat=${(v) => (Number.isInteger(v) ? String(v) : '')}
            series=${[
              {
                label: 'runs',
                color: '--accent',
                fill: '--accent-soft',
                paths: bars,
                points: { show: false },
              },
              { label: 'failed', color: '--bad', fill: '--bad-soft', paths: bars, points: { show: false } },
            ]}
          />
          <${Chart}
            title="Duration (p50, p95) and queue time (p50)"
            data=${[x, seconds(s.p50DurationMs), seconds(s.p95DurationMs), seconds(s.p50QueueMs)]}
            yFormat=${(v) => axisDuration(v)}
            series=${[
              { label: 'duration p50', color: '--accent', spanGaps: true },
              { label: 'duration p95', color: '--warn', spanGaps: true, dash: [6, 4] },
              { label: 'queue p50', color: '--muted', spanGaps: true },
            ]}
          />
        </div>
        <div class="table-wrap">
          <table class="insights">
            <caption class="sr-only">
              Per pipeline
            </caption>
            <thead>
              <tr>
                <th scope="col">Pipeline</th>
                <th scope="col">Runs</th>
                <th scope="col">Success</th>
                <th scope="col">Duration p50 / p95</th>
                <th scope="col">Queue p50 / p95</th>
                <th scope="col">Failing jobs</th>
              </tr>
            </thead>
            <tbody>
              ${
                data.groups.length === 0 &&
                html`<tr>
                  <td colspan="6" class="empty">No finished runs in this window.</td>
                </tr>`
              }
              ${data.groups.map(
                (g) =>
                  html`<tr>
                    <th scope="row">
                      ${g.pipeline}
                      <div class="muted">${g.repository} · ${g.provider}</div>
                    </th>
                    <td>${g.runs}</td>
                    <td>
                      <span class="rate"
                        ><span
                          class="rate-bar"
                          style=${{ width: `${Math.round((g.successRate ?? 0) * 100)}%` }}
                        ></span
                      ></span>
                      ${percent(g.successRate)}
                    </td>
                    <td>
                      ${g.durationMs ? `${duration(g.durationMs.p50)} / ${duration(g.durationMs.p95)}` : '–'}
                    </td>
                    <td>${g.queueMs ? `${duration(g.queueMs.p50)} / ${duration(g.queueMs.p95)}` : '–'}</td>
                    <td>
                      ${g.failingJobs.length === 0 ? html`<span class="muted">none</span>` : g.failingJobs.map((j) => html`<div>${j.name} <span class="muted">${j.failures}/${j.runs}</span></div>`)}
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>
      `
    }
  </section>`;
}
