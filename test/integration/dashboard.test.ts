import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import type { IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { createDashboard } from '../../src/dashboard/create-dashboard';
import type { Delivery } from '../../src/store/delivery-record';
import { sampleEvent } from '../helpers/sample-event';
import { postGithub as postSigned, workflowJobBody, workflowRunBody } from '../helpers/github-webhooks';
import {
  answer,
  startCaptureServer,
  type CaptureServer,
  type Respond,
} from '../helpers/start-capture-server';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const chromiumPath = '/usr/bin/chromium';
/** Screenshots for a person to look at; not committed (test-output/ is ignored). */
const outDir = join(__dirname, '../../test-output/dashboard');
const githubSecret = 'dashboard-test-github-secret';
const readKey = `cir_read_${'d'.repeat(40)}`;
const writeKey = `cir_write_${'e'.repeat(40)}`;
const env = { GITHUB_SECRET: githubSecret, DASH_READ_KEY: readKey, DASH_WRITE_KEY: writeKey };

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const workflowRun = (
  id: number,
  number: number,
  branch: string,
  state: 'in_progress' | 'success' | 'failure',
) => workflowRunBody({ id, number, branch, state });
const workflowJob = (runId: number, jobId: number, branch: string, conclusion: 'success' | 'failure') =>
  workflowJobBody({ runId, jobId, branch, conclusion });

function configYaml(sinkUrl: string): string {
  return `
version: 1
sources:
  - id: github
    provider: github
    secrets: ["\${GITHUB_SECRET}"]
sinks:
  - id: hook
    type: http
    url: "${sinkUrl}"
    retry: { attempts: 2, initialDelayMs: 20, maxDelayMs: 40 }
routes:
  - name: everything
    sinks: [hook]
api:
  keys:
    - { id: wallboard, key: "\${DASH_READ_KEY}", scopes: [read] }
    - { id: ops, key: "\${DASH_WRITE_KEY}", scopes: [read, write] }
  rateLimit: { requests: 100000, perSeconds: 60 }
`;
}

describe('dashboard in a real browser (Debian chromium, real relay, real Redis)', function () {
  this.timeout(60_000);
  let redis: TestRedis | undefined;
  let sink: CaptureServer | undefined;
  let relay: TestRelay | undefined;
  let browser: Browser | undefined;
  let respond: Respond = answer(200);
  let contexts: BrowserContext[] = [];

  const relayUrl = () => (relay as TestRelay).url;

  async function postGithub(event: string, body: string): Promise<void> {
    await postSigned(relayUrl(), githubSecret, event, body).expect(202);
  }

  /** A fresh browser context on the page; enters `key` unless told not to. Collects console errors. */
  async function open(
    key: string | undefined,
    options: { path?: string; dark?: boolean; phone?: boolean } = {},
  ): Promise<{ page: Page; errors: string[] }> {
    const context = await (browser as Browser).newContext({
      viewport: options.phone ? { width: 390, height: 844 } : { width: 1280, height: 860 },
      colorScheme: options.dark ? 'dark' : 'light',
      ...(options.phone && { deviceScaleFactor: 2, isMobile: true, hasTouch: true }),
    });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await page.goto(`${relayUrl()}${options.path ?? '/'}`);
    if (key !== undefined) {
      await page.fill('#api-key', key);
      await page.press('#api-key', 'Enter');
      await page.waitForSelector('[role=tablist]');
    }
    return { page, errors };
  }

  const tab = async (page: Page, name: string) => {
    await page.click(`[role=tab]:text-is("${name}")`);
    await page.waitForSelector(`[role=tab][aria-selected=true]:text-is("${name}")`);
  };
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(outDir, `${name}.png`), fullPage: true });

  before(async function () {
    if (!existsSync(chromiumPath)) {
      console.log(
        `      skipped: ${chromiumPath} is missing (.ci/run installs it: apt-get install -y chromium)`,
      );
      this.skip();
    }
    mkdirSync(outDir, { recursive: true });
    redis = await startRedis();
    sink = await startCaptureServer((req, res) => respond(req, res));
    relay = await startTestRelay({ configYaml: configYaml(sink.url), redisUrl: redis.url, env });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  afterEach(async () => {
    respond = answer(200);
    for (const c of contexts) await c.close();
    contexts = [];
  });
  after(async () => {
    await browser?.close();
    await relay?.close();
    await sink?.close();
    await redis?.stop();
  });

  it('serves the page with a Content-Security-Policy and no inline script but the import map', async () => {
    const res = await request(relayUrl()).get('/').expect(200);
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    for (const path of [
      '/vendor/preact/preact.module.js',
      '/vendor/preact-hooks/hooks.module.js',
      '/vendor/htm/htm.module.js',
      '/vendor/uplot/uPlot.esm.js',
      '/dashboard/app.js',
    ])
      await request(relayUrl())
        .get(path)
        .expect(200)
        .expect('content-type', /javascript/);
  });

  it('asks for a key, then shows the board from real webhooks, every view without a console error', async () => {
    await postGithub('workflow_run', workflowRun(7001, 70, 'main', 'success'));
    await postGithub('workflow_job', workflowJob(7001, 70011, 'main', 'success'));
    const { page, errors } = await open(undefined);
    await page.waitForSelector('#api-key');
    await shot(page, 'key-prompt');
    await page.fill('#api-key', writeKey);
    await page.press('#api-key', 'Enter');
    await page.waitForSelector('li.run[data-status=success]');
    await page.waitForSelector('[data-state=live]');
    const row = page.locator('li.run', { hasText: 'acme/widgets' }).first();
    assert.match(await row.innerText(), /#70/);
    await row.locator('button[aria-expanded]').click();
    await row.locator('ul.jobs li.job').first().waitFor();
    assert.match(await row.locator('ul.jobs').innerText(), /test \(node 20\)/);
    await shot(page, 'runs');
    assert.equal(
      await page.evaluate<number>('sessionStorage.length'),
      1,
      'the key is kept in sessionStorage',
    );
    assert.equal(await page.evaluate<number>('localStorage.length'), 0, 'and nowhere else');
    assert.ok(!page.url().includes(writeKey), 'the key is not in the URL');

    for (const [name, ready] of [
      ['Events', 'li.event'],
      ['Deliveries', 'section[aria-labelledby=deliveries-title] :is(.empty, li.delivery)'],
      ['Silences', 'section[aria-labelledby=silences-title] :is(.note, .empty, li.silence)'],
      ['Route tester', 'form.route-test'],
      ['Insights', '.uplot'],
    ] as const) {
      await tab(page, name);
      await page.waitForSelector(ready);
      await shot(page, name.toLowerCase().replace(/ /g, '-'));
    }
    // Keyboard: the arrow keys move along the tabs.
    await page.focus('[role=tab][aria-selected=true]');
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('[role=tab][aria-selected=true]:text-is("Runs")');
    assert.deepEqual(errors, []);
    const log = (relay as TestRelay).logLines.join('');
    assert.ok(log.includes('"level"'), 'the relay logged');
    assert.ok(!log.includes(writeKey), 'the key is in no log line');
  });

  it('says clearly when a key is wrong', async () => {
    const { page } = await open(undefined);
    await page.fill('#api-key', 'cir_not_a_key');
    await page.press('#api-key', 'Enter');
    const problem = await page.waitForSelector('.problem[role=alert]');
    assert.match(await problem.innerText(), /not accepted/);
    assert.equal(await page.evaluate<number>('sessionStorage.length'), 0);
  });

  it('changes a row live when a webhook arrives, without reload', async () => {
    await postGithub('workflow_run', workflowRun(7101, 71, 'live-board', 'in_progress'));
    const { page, errors } = await open(readKey, { path: '/?branch=live-board' });
    const row = page.locator('li.run', { hasText: 'live-board' });
    await page.waitForSelector('li.run[data-status=running]');
    await page.waitForSelector('[data-state=live]');
    const started = Date.now();
    await postGithub('workflow_run', workflowRun(7101, 71, 'live-board', 'failure'));
    await page.waitForSelector('li.run[data-status=failure]', { timeout: 5000 });
    const tookMs = Date.now() - started;
    console.log(`      (the row changed ${tookMs} ms after the webhook was posted)`);
    assert.ok(tookMs < 2000, `the row changed after ${tookMs} ms`);
    assert.equal(await row.count(), 1);
    // The next run replaces the line: its number and the transition.
    await postGithub('workflow_run', workflowRun(7102, 72, 'live-board', 'success'));
    await page.waitForSelector('li.run[data-status=success]');
    await waitFor(async () => /#72/.test(await row.innerText()) && /fixed/.test(await row.innerText()));
    assert.deepEqual(errors, []);
  });

  it('keeps the filters in the URL, so a link shows the same board', async () => {
    await postGithub('workflow_run', workflowRun(7201, 80, 'filter-a', 'success'));
    await postGithub('workflow_run', workflowRun(7202, 81, 'filter-b', 'failure'));
    const { page } = await open(readKey, { path: '/?branch=filter-a' });
    await page.waitForSelector('li.run');
    assert.equal(await page.locator('li.run').count(), 1);
    assert.equal(await page.inputValue('input[name=branch]'), 'filter-a');
    await page.fill('input[name=branch]', 'filter-*');
    await page.press('input[name=branch]', 'Enter');
    await page.selectOption('select[name=status]', 'failure');
    await waitFor(() => new URL(page.url()).searchParams.get('status') === 'failure');
    assert.equal(new URL(page.url()).searchParams.get('branch'), 'filter-*');
    await waitFor(async () => (await page.locator('li.run').count()) === 1);
    await page.waitForSelector('li.run[data-status=failure]:has-text("filter-b")');
    // The shared link opens with the same filter.
    const shared = await open(readKey, { path: new URL(page.url()).search });
    await shared.page.waitForSelector('li.run[data-status=failure]:has-text("filter-b")');
    assert.equal(await shared.page.locator('li.run').count(), 1);
  });

  it('retries a failed delivery from its button with a write key; a read key sees why there is none', async () => {
    respond = answer(500);
    await postGithub('workflow_run', workflowRun(7301, 90, 'retry-me', 'failure'));
    let failed: Delivery | undefined;
    await waitFor(async () => {
      const res = await request(relayUrl())
        .get('/v1/deliveries?state=failed&limit=500')
        .set('authorization', `Bearer ${readKey}`);
      failed = (res.body as { items: Delivery[] }).items.find((d) => d.branch === 'retry-me');
      return failed !== undefined;
    });
    const id = (failed as Delivery).id;

    const reader = await open(readKey, { path: '/?view=deliveries' });
    await reader.page.waitForSelector(`li.delivery[data-delivery="${id}"]`);
    assert.equal(await reader.page.locator(`li.delivery[data-delivery="${id}"] button`).count(), 0);
    assert.match(await reader.page.innerText('[data-testid=retry-note]'), /write scope/);
    await shot(reader.page, 'deliveries-read-key');

    const writer = await open(writeKey, { path: '/?view=deliveries' });
    const line = writer.page.locator(`li.delivery[data-delivery="${id}"]`);
    await line.waitFor();
    assert.match(await line.innerText(), /500/);
    await shot(writer.page, 'deliveries-write-key');
    respond = answer(200);
    const before = sink?.requests.length ?? 0;
    await line.locator('button:has-text("Retry")').click();
    await waitFor(() =>
      (sink as CaptureServer).requests.slice(before).some((r) => r.headers['webhook-id'] === id),
    );
    await writer.page.waitForSelector(`li.delivery[data-delivery="${id}"][data-state=sent]`);
    assert.equal(await writer.page.locator('[data-testid=retry-note]').count(), 0);
  });

  it('tests routes for a pasted CiEvent and shows routes, sinks and what would suppress them', async () => {
    const { page, errors } = await open(writeKey, { path: '/?view=route-test' });
    await page.fill('textarea[name=body]', JSON.stringify(sampleEvent({ id: 'route-test-1' }), null, 2));
    await page.click('button:has-text("Test routes")');
    const result = page.locator('[data-testid=route-result]');
    await result.waitFor();
    const text = await result.innerText();
    assert.match(text, /route everything/);
    assert.match(text, /hook/);
    assert.match(text, /would send/);
    await shot(page, 'route-tester');

    // A raw provider webhook with its headers (not verified: the route tester sends nothing).
    await page.selectOption('select[name=provider]', 'github');
    await page.fill('textarea[name=headers]', 'X-GitHub-Event: workflow_run');
    await page.fill('textarea[name=body]', workflowRun(7501, 120, 'route-tester', 'failure'));
    await page.click('button:has-text("Test routes")');
    await page.waitForSelector('[data-testid=route-result] h3:has-text("route-tester")');
    assert.match(await result.innerText(), /would send/);
    assert.deepEqual(errors, []);

    const reader = await open(readKey, { path: '/?view=route-test' });
    assert.match(await reader.page.innerText('section .note'), /write scope/);
  });

  it("creates and expires a silence through the relay's own /v1/silences", async () => {
    const { page, errors } = await open(writeKey, { path: '/?view=silences' });
    await page.waitForSelector('.silence-form');
    await page.fill('.silence-form input[name=repository]', 'acme/silenced-*');
    await page.fill('.silence-form input[name=comment]', 'runner migration');
    await page.click('button:has-text("Create silence")');
    const line = page.locator('li.silence', { hasText: 'runner migration' });
    await line.waitFor();
    await line.locator('button:has-text("Expire")').click();
    await page.waitForSelector('li.silence-expired:has-text("runner migration")');
    assert.deepEqual(errors, []);
  });

  it('draws the insights charts from the events', async () => {
    await postGithub('workflow_run', workflowRun(7401, 100, 'insights', 'success'));
    await postGithub('workflow_run', workflowRun(7402, 101, 'insights', 'failure'));
    await postGithub('workflow_job', workflowJob(7402, 74021, 'insights', 'failure'));
    const { page, errors } = await open(readKey);
    // The whole board by now (the README's picture is taken from this one).
    await page.waitForSelector('li.run[data-status=failure]:has-text("insights")');
    await shot(page, 'board');
    await tab(page, 'Insights');
    assert.equal(new URL(page.url()).searchParams.get('view'), 'insights');
    await waitFor(async () => (await page.locator('.uplot canvas').count()) >= 2);
    const runs = Number(await page.locator('.figure:has-text("finished runs") .figure-value').innerText());
    assert.ok(runs >= 2, `finished runs: ${runs}`);
    assert.match(await page.innerText('table.insights'), /test \(node 20\)/);
    // The canvas has been drawn on: not every pixel is the same.
    const drawn = await page.evaluate<boolean>(`(() => {
      const canvas = document.querySelector('.uplot canvas');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      return new Set(data.filter((_v, i) => i % 4 === 3)).size > 1;
    })()`);
    assert.ok(drawn);
    await shot(page, 'insights');
    assert.deepEqual(errors, []);
  });

  it('fits a phone-width screen: no horizontal overflow on any view', async () => {
    await postGithub('workflow_run', workflowRun(7601, 130, 'phone', 'failure'));
    const { page, errors } = await open(writeKey, { phone: true });
    await page.waitForSelector('li.run');
    for (const view of ['runs', 'events', 'deliveries', 'silences', 'route-test', 'insights']) {
      if (view !== 'runs') await page.click(`#tab-${view}`);
      await page.waitForSelector(`main[data-view="${view}"] section`);
      if (view === 'insights') await page.waitForSelector('.uplot');
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      assert.ok(overflow <= 0, `${view}: ${overflow} px wider than the screen`);
      await shot(page, `phone-${view}`);
    }
    assert.deepEqual(errors, []);
  });

  it('follows the dark colour scheme', async () => {
    await postGithub('workflow_run', workflowRun(7701, 140, 'dark', 'success'));
    const { page, errors } = await open(writeKey, { dark: true });
    await page.waitForSelector('li.run');
    const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number);
    assert.ok((r ?? 255) + (g ?? 255) + (b ?? 255) < 150, `background ${background}`);
    await shot(page, 'runs-dark');
    await page.click('#tab-insights');
    await page.waitForSelector('.uplot');
    await shot(page, 'insights-dark');
    assert.deepEqual(errors, []);
  });
});

/**
 * The Silences view against a stand-in for `/v1/silences` in DESIGN's shape, until the relay has it:
 * the page's own files from createDashboard(), the API answered by a small local server.
 */
describe('dashboard: the Silences view (real browser, stand-in silences API)', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let server: Server | undefined;
  let base = '';
  const streams = new Set<ServerResponse>();
  const silences: Json[] = [];
  const posted: Json[] = [];
  const streamRequests: Array<{ url: string; headers: IncomingHttpHeaders }> = [];

  before(async function () {
    if (!existsSync(chromiumPath)) {
      console.log(
        `      skipped: ${chromiumPath} is missing (.ci/run installs it: apt-get install -y chromium)`,
      );
      this.skip();
    }
    const app = express();
    const api = express.Router();
    api.get(
      '/openapi.json',
      (_req, res) => void res.json({ openapi: '3.1.0', paths: { '/v1/silences': {} } }),
    );
    api.use((req, res, next) => {
      if (req.headers.authorization === `Bearer ${writeKey}`) return next();
      res.status(401).json({ error: { code: 'unauthorized', message: 'unknown API key' } });
    });
    api.get('/whoami', (_req, res) => void res.json({ id: 'ops', kind: 'key', scopes: ['read', 'write'] }));
    // The first connection sends one entry and drops; the page must come back with Last-Event-ID.
    api.get('/stream', (req, res) => {
      streamRequests.push({ url: req.originalUrl, headers: req.headers });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': stand-in\n\n');
      if (streamRequests.length === 1) {
        res.end('id: 1764500000000-7\nevent: delivery\ndata: {"id":"n1"}\n\n');
        return;
      }
      streams.add(res);
      res.once('close', () => streams.delete(res));
    });
    api.get('/silences', (_req, res) => void res.json({ items: silences }));
    api.post('/silences', express.json(), (req, res) => {
      const body = req.body as Json;
      posted.push(body);
      const silence = {
        id: `s${silences.length + 1}`,
        match: body.match,
        startsAt: body.startsAt ?? new Date().toISOString(),
        endsAt: body.endsAt,
        createdBy: 'ops',
        comment: body.comment,
        state: 'active',
      };
      silences.unshift(silence);
      res.status(201).json(silence);
    });
    api.delete('/silences/:id', (req, res) => {
      const silence = silences.find((s) => s.id === req.params.id);
      if (!silence) return void res.status(404).json({ error: { code: 'not_found', message: 'no silence' } });
      Object.assign(silence, { state: 'expired', endsAt: new Date().toISOString() });
      res.json(silence);
    });
    app.use('/v1', api);
    app.use(createDashboard());
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  after(async () => {
    await browser?.close();
    for (const res of streams) res.end();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  it('lists, creates with an end time and a comment, and expires silences; resumes a dropped stream with Last-Event-ID', async () => {
    const page = await (browser as Browser).newPage();
    const errors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/?view=silences`);
    await page.fill('#api-key', writeKey);
    await page.press('#api-key', 'Enter');
    await page.waitForSelector('text=No silences.');
    await page.fill('.silence-form input[name=repository]', 'acme/*');
    await page.fill('.silence-form input[name=branch]', 'main');
    await page.selectOption('.silence-form select[name=length]', '24h');
    await page.fill('.silence-form input[name=comment]', 'deploy freeze');
    const before = Date.now();
    await page.click('button:has-text("Create silence")');
    const line = page.locator('li.silence', { hasText: 'deploy freeze' });
    await line.waitFor();
    assert.match(await line.innerText(), /repository=acme\/\* branch=main/);
    assert.match(await line.innerText(), /active/);
    const body = posted[0] as Json;
    assert.deepEqual(body.match, { repository: 'acme/*', branch: 'main' });
    const endsIn = Date.parse(body.endsAt as string) - before;
    assert.ok(endsIn > 23.9 * 3_600_000 && endsIn < 24.1 * 3_600_000, `ends in ${endsIn} ms`);
    await page.screenshot({ path: join(outDir, 'silences-stand-in.png'), fullPage: true });
    await line.locator('button:has-text("Expire")').click();
    await page.waitForSelector('li.silence-expired');
    assert.equal(await page.locator('li.silence button:has-text("Expire")').count(), 0);
    assert.deepEqual(errors, []);

    // Meanwhile the stream dropped once and was resumed after the entry it had seen, key in the header only.
    await waitFor(() => streamRequests.length >= 2);
    assert.equal(streamRequests[0]?.headers['last-event-id'], undefined);
    assert.equal(streamRequests[1]?.headers['last-event-id'], '1764500000000-7');
    for (const r of streamRequests) {
      assert.equal(r.headers.authorization, `Bearer ${writeKey}`);
      assert.equal(r.url, '/v1/stream');
    }
    await page.waitForSelector('[data-state=live]');
    await page.close();
  });
});
