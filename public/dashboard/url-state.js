// The page's state that can be shared: the view and its filters live in the URL's query.

/** The current query parameters as an object of strings. */
export function readParams() {
  return Object.fromEntries(new URLSearchParams(location.search));
}

/** Sets (or, with '' / undefined, removes) parameters without reloading or adding history entries. */
export function writeParams(patch) {
  const search = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || value === null || value === '') search.delete(key);
    else search.set(key, value);
  }
  const text = search.toString();
  history.replaceState(null, '', `${location.pathname}${text ? `?${text}` : ''}${location.hash}`);
}
