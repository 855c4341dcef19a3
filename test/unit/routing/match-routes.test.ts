import assert from 'node:assert/strict';
import type { RouteConfig } from '../../../src/config/config-schema';
import { compileRoute } from '../../../src/routing/compile-route';
import { matchRoutes } from '../../../src/routing/match-routes';
import { sampleEvent } from '../../helpers/sample-event';

const routes = (...configs: RouteConfig[]) => configs.map((r) => compileRoute(r));
const names = (rs: ReturnType<typeof matchRoutes>) => rs.map((r) => r.name);

describe('matchRoutes', () => {
  it('takes the first matching route and stops', () => {
    const rs = routes({ name: 'a', sinks: ['s'] }, { name: 'b', sinks: ['s'] });
    assert.deepEqual(names(matchRoutes(rs, sampleEvent())), ['a']);
  });

  it('goes on past a match that says continue', () => {
    const rs = routes(
      { name: 'a', sinks: ['s'], continue: true },
      { name: 'b', sinks: ['s'] },
      { name: 'c', sinks: ['s'] },
    );
    assert.deepEqual(names(matchRoutes(rs, sampleEvent())), ['a', 'b']);
  });

  it('skips routes that do not match, even after a continue', () => {
    const rs = routes(
      { name: 'a', sinks: ['s'], continue: true },
      { name: 'b', match: { branch: 'dev' }, sinks: ['s'] },
      { name: 'c', sinks: ['s'] },
    );
    assert.deepEqual(names(matchRoutes(rs, sampleEvent())), ['a', 'c']);
  });

  const table: Array<[string, RouteConfig['match'], boolean]> = [
    ['glob on repository', { repository: 'acme/*' }, true],
    ['glob does not cross /', { repository: 'acme' }, false],
    ['** crosses /', { repository: '**' }, true],
    ['any of a list', { branch: ['dev', 'main'] }, true],
    ['branch glob', { branch: 'ma*' }, true],
    ['none of a list', { branch: ['dev', 'release/*'] }, false],
    ['kind', { kind: 'pipeline' }, true],
    ['kind mismatch', { kind: 'job' }, false],
    ['status list', { status: ['failure', 'error'] }, true],
    ['provider', { provider: 'github' }, true],
    ['source glob', { source: 'git*' }, true],
    ['pipeline name', { pipeline: 'CI' }, true],
    ['every key must hold', { branch: 'main', status: 'success' }, false],
    ['a field the event lacks never matches (tag)', { tag: '*' }, false],
    ['job name on a pipeline event', { job: '*' }, false],
    ['transition absent', { transition: 'broken' }, false],
  ];
  for (const [name, match, expected] of table) {
    it(`${expected ? 'matches' : 'does not match'}: ${name}`, () => {
      const rs = routes({ name: 'r', sinks: ['s'], ...(match && { match }) });
      assert.equal(matchRoutes(rs, sampleEvent()).length, expected ? 1 : 0);
    });
  }

  it('matches transition once the router has set it', () => {
    const rs = routes({ name: 'r', match: { transition: ['broken', 'fixed'] }, sinks: ['s'] });
    assert.equal(matchRoutes(rs, sampleEvent({ transition: 'broken' })).length, 1);
  });

  it('compiles an invalid glob into an error naming the key', () => {
    assert.throws(
      () => compileRoute({ name: 'r', match: { branch: 'feat/(' }, sinks: ['s'] }),
      /match\.branch: invalid glob/,
    );
  });
});
