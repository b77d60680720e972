import { readFileSync } from 'node:fs';
import { ScanplaneError } from '@scanplane/core';
import { pageHtml } from './page-html.js';

/** What the page script needs to know, embedded in the page as JSON. */
export interface PageConfig {
  /** The page title. */
  title: string;
  /** Absolute path of `GET /dashboard/snapshot`. */
  snapshotUrl: string;
  /** Absolute path of `GET /dashboard/events`. */
  eventsUrl: string;
  /** The service's submit path with `{project}`, when the deployment has one. */
  submitPath?: string;
  /** The service's stop path with `{project}`, when the deployment has one. */
  stopPath?: string;
}

/** The page's stylesheet and script, read once. */
interface PageAssets {
  css: string;
  js: string;
}

let assets: PageAssets | undefined;

/** Reads the page sources next to this file (they ship with the package; there is no build step). */
function loadAssets(): PageAssets {
  if (assets !== undefined) return assets;
  const read = (name: string) => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');
  const loaded = { css: read('dashboard.css'), js: read('dashboard.js') };
  // The style and script are inlined: a closing tag inside them would end the element early.
  if (/<\/style/i.test(loaded.css) || /<\/script/i.test(loaded.js)) {
    throw new ScanplaneError('INTERNAL', 'the page sources contain a closing </style> or </script> tag', {
      component: 'dashboard',
    });
  }
  assets = loaded;
  return loaded;
}

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** JSON that can sit inside a `<script>` element: no `<` (so no `</script>`), no line separators. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

/**
 * The dashboard page: one self-contained HTML document (inline CSS and script, no external resources), for one
 * response with its own CSP `nonce`.
 */
export function renderPage(config: PageConfig, nonce: string): string {
  const { css, js } = loadAssets();
  return pageHtml({
    title: escapeHtml(config.title),
    nonce,
    style: css,
    script: js,
    config: scriptSafeJson(config),
  });
}

/** The Content-Security-Policy of the page: its own inline style and script (by nonce), requests to its origin. */
export function pagePolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
