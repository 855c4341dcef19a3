import assert from 'node:assert/strict';
import { parseGitRemote } from '../../../src/providers/parse-git-remote';

describe('parseGitRemote', () => {
  const cases: Array<[string | undefined, ReturnType<typeof parseGitRemote>]> = [
    ['https://github.com/acme/web.git', { path: 'acme/web', web: 'https://github.com/acme/web' }],
    ['https://github.com/acme/web/', { path: 'acme/web', web: 'https://github.com/acme/web' }],
    [
      'https://ci:t0ken@gitlab.example.com/group/sub/web.git',
      { path: 'group/sub/web', web: 'https://gitlab.example.com/group/sub/web' },
    ],
    ['http://git.local:3000/acme/web', { path: 'acme/web', web: 'http://git.local:3000/acme/web' }],
    ['git@github.com:acme/web.git', { path: 'acme/web', web: 'https://github.com/acme/web' }],
    [
      'ssh://git@gitlab.example.com/group/sub/app.git',
      { path: 'group/sub/app', web: 'https://gitlab.example.com/group/sub/app' },
    ],
    ['ssh://git@git.example.com:7999/acme/web.git', { path: 'acme/web' }],
    ['not a url', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [remote, expected] of cases) {
    it(`${String(remote)} -> ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseGitRemote(remote), expected);
    });
  }

  it('never keeps credentials', () => {
    assert.doesNotMatch(
      JSON.stringify(parseGitRemote('https://user:s3cret@host/acme/web.git')),
      /s3cret|user/,
    );
  });
});
