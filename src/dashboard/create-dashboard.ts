import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { Router } from 'express';

/** The browser libraries the page loads, each served from its own npm package's `dist` folder. */
const vendorPackages = {
  preact: 'preact',
  'preact-hooks': 'preact/hooks',
  htm: 'htm',
  uplot: 'uplot',
} as const;

/** The folder of the page's static files: `public/dashboard` at the package root (from src/ or dist/src/). */
export function dashboardFolder(from = __dirname): string {
  for (let dir = from, i = 0; i < 5; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'public', 'dashboard');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  throw new Error(`[dashboard] public/dashboard/index.html not found above ${from}`);
}

/** The Content-Security-Policy of the page: its own files only, plus the one import map by its hash. */
export function dashboardCsp(html: string): string {
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1];
  const hash = importMap ? ` 'sha256-${createHash('sha256').update(importMap).digest('base64')}'` : '';
  return [
    "default-src 'none'",
    `script-src 'self'${hash}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The dashboard: `GET /` (the page), `/dashboard/*` (its scripts and styles) and `/vendor/<pkg>/*`
 * (Preact, htm and uPlot from their packages' own `dist` files: no build step, no CDN). It only reads
 * the `/v1` API in the browser with the key the user enters, so it needs no key itself.
 */
export function createDashboard(folder = dashboardFolder()): Router {
  const router = Router();
  const html = readFileSync(join(folder, 'index.html'), 'utf8');
  const headers = {
    'content-security-policy': dashboardCsp(html),
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  };
  const staticOptions = {
    index: false,
    fallthrough: true,
    setHeaders: (res: express.Response) => res.set(headers),
  } as const;
  router.get(['/', '/index.html'], (_req, res) => {
    res.set(headers).set('cache-control', 'no-cache').type('html').send(html);
  });
  router.use('/dashboard', express.static(folder, staticOptions));
  for (const [name, specifier] of Object.entries(vendorPackages))
    router.use(`/vendor/${name}`, express.static(dirname(require.resolve(specifier)), staticOptions));
  return router;
}
