// The part the drivers of cmd/hasse/browser2_e2e_test.go and clients_e2e_test.go share: a page of
// their own, served from another origin than the gateway, in headless Chromium, reporting what it
// sees as JSON lines.
//
// The page's script calls __report(record); each record is printed as one line on stdout, in the
// order the page made them (records carry the page's own count `n` so the reader can check).
// Console messages print as {"kind":"console","type","text"} and uncaught exceptions as
// {"kind":"pageerror","text"}; the first line is {"kind":"page","url"}. The driver runs until
// stdin closes or SIGTERM comes, then closes Chromium and exits.
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';

const out = (rec) => process.stdout.write(JSON.stringify(rec) + '\n'); // synchronous on a pipe

// openPage launches Chromium and returns its page, not yet loaded, and load(), which serves
// script (with config as `const config`) and loads it. contextOptions go to browser.newContext.
// With module true the script is an ES module, and files maps more paths the page may import
// (e.g. '/watch.mjs') to their source.
export async function openPage({ title, script, config, contextOptions = {}, module = false, files = {} }) {
  const code = `'use strict';\nconst config = ${JSON.stringify(config)};\n${script}`;
  const server = createServer((req, res) => {
    if (req.url === '/page.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(code);
    } else if (Object.hasOwn(files, req.url)) {
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(files[req.url]);
    } else if (req.url === '/') {
      const type = module ? ' type="module"' : '';
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
        .end(`<!doctype html><title>${title}</title><script${type} src="/page.js"></script>`);
    } else {
      res.writeHead(204).end(); // favicon: no 404 in the console
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const pageURL = `http://127.0.0.1:${server.address().port}/`;

  // Debian's Chromium, flags as in run-snippet.mjs: off the network this machine refuses.
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    handleSIGTERM: false, // finish() closes the browser itself
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-quic', '--disable-sync'],
  });
  let finishing = false;
  const finish = async () => {
    if (finishing) return;
    finishing = true;
    await browser.close().catch(() => {});
    server.close();
    process.exit(0);
  };
  process.stdin.on('end', finish).resume();
  process.on('SIGTERM', finish);
  process.stdout.on('error', finish); // the reader went away

  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  await page.exposeBinding('__report', (_source, rec) => out(rec));
  page.on('console', (msg) => out({ kind: 'console', type: msg.type(), text: msg.text() }));
  page.on('pageerror', (err) => out({ kind: 'pageerror', text: String(err.stack ?? err) }));
  const load = async () => {
    out({ kind: 'page', url: pageURL });
    await page.goto(pageURL);
  };
  return { context, page, load, out };
}
