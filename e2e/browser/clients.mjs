// Runs ../clients/watch.mjs's streams in a page in headless Chromium, on the browser's own
// EventSource, for the tests of cmd/hasse/clients_e2e_test.go.
//
//   node browser/clients.mjs <config-json>
//
// The page comes from another origin than the gateway (see page.mjs), so every stream is a CORS
// request. Prints watch.mjs's records, page.mjs's, and from Chromium's DevTools protocol, for each
// request to config.url: {"kind":"response","url","status","allowOrigin"} (allowOrigin: the
// Access-Control-Allow-Origin header, "" when absent) and {"kind":"failed","url","errorText",
// "corsError"} when the browser fails the request (corsError: why CORS refused it, if it did).
import { readFileSync } from 'node:fs';
import { openPage } from './page.mjs';

const [configJSON] = process.argv.slice(2);
if (!configJSON) throw new Error('usage: clients.mjs <config-json>');
const config = JSON.parse(configJSON);
const source = (name) => readFileSync(new URL(`../clients/${name}`, import.meta.url), 'utf8');

const { context, page, load, out } = await openPage({
  title: 'hasse: our own client',
  config,
  module: true,
  files: { '/watch.mjs': source('watch.mjs'), '/gateway-stream.mjs': source('gateway-stream.mjs') },
  script: `
import { watch } from '/watch.mjs';
watch(config, EventSource, __report);
`,
});
const cdp = await context.newCDPSession(page);
const requests = new Map(); // requestId → URL, for the streams' requests
cdp.on('Network.requestWillBeSent', ({ requestId, request }) => {
  if (request.url.startsWith(config.url)) requests.set(requestId, request.url);
});
cdp.on('Network.responseReceived', ({ requestId, response }) => {
  if (!requests.has(requestId)) return;
  const header = Object.entries(response.headers).find(([k]) => k.toLowerCase() === 'access-control-allow-origin');
  out({ kind: 'response', url: response.url, status: response.status, allowOrigin: header?.[1] ?? '' });
});
cdp.on('Network.loadingFailed', ({ requestId, errorText, corsErrorStatus }) => {
  if (!requests.has(requestId)) return;
  out({ kind: 'failed', url: requests.get(requestId), errorText, corsError: corsErrorStatus?.corsError ?? '' });
});
await cdp.send('Network.enable');
await load();
