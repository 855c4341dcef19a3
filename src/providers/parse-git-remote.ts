/**
 * `owner/repo` (the path, any depth) and a browsable URL from a Git remote:
 * `https://github.com/acme/web.git`, `git@github.com:acme/web.git`, `ssh://git@host:7999/acme/web.git`.
 * The web URL is given for http(s) remotes and for ssh ones on the default port (`git@host:path` is
 * served at `https://host/path` by GitHub, GitLab, Bitbucket and Gitea alike); an ssh remote on a port
 * of its own (Bitbucket Server's 7999) says nothing of the web layout, so none is guessed.
 * Credentials in a remote never leave the relay.
 */
export function parseGitRemote(remote: string | undefined): { path: string; web?: string } | undefined {
  if (remote === undefined || remote === '') return undefined;
  const clean = (p: string) =>
    p
      .replace(/\.git\/?$/, '')
      .replace(/^\/+|\/+$/g, '')
      .replace(/^~/, '');
  const scp = /^[\w.-]+@([\w.-]+):(?!\/\/)(.+)$/.exec(remote);
  if (scp?.[1] && scp[2]) {
    const path = clean(scp[2]);
    return path === '' ? undefined : { path, web: `https://${scp[1]}/${path}` };
  }
  let url: URL;
  try {
    url = new URL(remote);
  } catch {
    return undefined;
  }
  const path = clean(url.pathname);
  if (path === '') return undefined;
  if (url.protocol === 'http:' || url.protocol === 'https:')
    return { path, web: `${url.protocol}//${url.host}/${path}` };
  if (url.protocol === 'ssh:' && url.port === '') return { path, web: `https://${url.hostname}/${path}` };
  return { path };
}
