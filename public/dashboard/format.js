// Small display helpers.

/** "12 s ago", "2 min ago", "3 h ago", "4 d ago". */
export function ago(iso, now = Date.now()) {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** "in 20 s", "in 3 min" for a time ahead; "now" when it has passed. */
export function until(iso, now = Date.now()) {
  if (!iso) return '';
  const s = Math.round((Date.parse(iso) - now) / 1000);
  if (s <= 0) return 'now';
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return `in ${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `in ${Math.round(s / 3600)} h`;
  return `in ${Math.round(s / 86400)} d`;
}

/** "45 s", "3 m 20 s", "1 h 05 m". */
export function duration(ms) {
  if (ms === undefined || ms === null) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} m`;
}

/** The local date and time of an ISO string, for tooltips. */
export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
}

/** 0.934 -> "93 %"; null -> "–". */
export function percent(rate) {
  return rate === null || rate === undefined ? '–' : `${Math.round(rate * 100)} %`;
}

/** Only http(s) links are rendered as links. */
export function safeUrl(url) {
  return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : undefined;
}

const words = {
  still_failing: 'still failing',
  broken: 'broken',
  fixed: 'fixed',
  passed: 'passed',
};

/** A transition as people say it. */
export function transitionText(t) {
  return words[t] ?? t ?? '';
}

/** The given parts that are not empty, joined by " · ". */
export function dots(...parts) {
  return parts.filter((p) => p !== undefined && p !== null && p !== false && p !== '').join(' · ');
}
