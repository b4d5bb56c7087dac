// Drives hasse's dashboard (served at / by the gateway itself) in headless Chromium for
// cmd/hasse/dashboard_e2e_test.go, and prints one JSON line per step it sees:
//
//   node dashboard/dashboard.mjs <base URL> <admin token, or "" under auth none> <screenshot folder>
//
// With a token: a wrong token is refused, the right one signs in; the test then connects a client
// with client_id dashboard-probe, the page shows it (with its protocol, duration and bytes), its
// Disconnect button is pressed and the row goes; the geography and pools panels are read once a
// country shows (the test places one client in one); the live feed runs with domain=light; a
// firing alert shows; screenshots at desktop and phone widths are written.
// Without a token the page must be live without asking for one. Every line is
// {"kind", …}; console messages and uncaught exceptions print as in e2e/browser/page.mjs, and a
// request whose URL holds the token prints {"kind":"leak"}. It ends on SIGTERM or when stdin closes.
import { chromium } from 'playwright-core';
import { join } from 'node:path';

const [base, token, shots] = process.argv.slice(2);
const out = (rec) => process.stdout.write(JSON.stringify(rec) + '\n'); // synchronous on a pipe
const WAIT = { timeout: 30_000 };

// Debian's Chromium, never a downloaded one; off the network this machine refuses.
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  handleSIGTERM: false, // finish() closes the browser itself
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--disable-sync'],
});
let finishing = false;
const finish = async () => {
  if (finishing) return;
  finishing = true;
  await browser.close().catch(() => {});
  process.exit(0);
};
process.stdin.on('end', finish).resume();
process.on('SIGTERM', finish);
process.stdout.on('error', finish);

// open loads the dashboard in a fresh context (its own sessionStorage) of the given size.
async function open(contextOptions) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  page.on('console', (msg) => out({ kind: 'console', type: msg.type(), text: msg.text() }));
  page.on('pageerror', (err) => out({ kind: 'pageerror', text: String(err.stack ?? err) }));
  page.on('dialog', (d) => d.accept()); // the disconnect button's confirm()
  page.on('request', (req) => {
    if (token && req.url().includes(token)) out({ kind: 'leak', url: req.url() });
  });
  await page.goto(`${base}/`);
  out({ kind: 'page', url: page.url() });
  return page;
}

const text = (page, sel) => page.locator(sel).textContent();
const connections = async (page) => Number(await text(page, '#s-connections'));

// live waits until the page shows a connection count, from the statistics socket.
async function live(page) {
  await page.locator('#app').waitFor({ state: 'visible', ...WAIT });
  await page.waitForFunction(() => /^\d+$/.test(document.getElementById('s-connections').textContent), null, WAIT);
}

async function signIn(page, tok) {
  await page.locator('#login').waitFor({ state: 'visible', ...WAIT });
  await page.fill('#token', tok);
  await page.click('#login-form button[type=submit]');
}

// pushes waits for n more statistics pushes (each one moves "events sent" while events flow),
// so that the charts have points to draw.
async function pushes(page, n) {
  await page.evaluate((n) => new Promise((done) => {
    const sent = document.getElementById('s-sent');
    let seen = 0;
    new MutationObserver((_m, obs) => {
      if (++seen >= n) {
        obs.disconnect();
        done();
      }
    }).observe(sent, { childList: true, characterData: true, subtree: true });
  }), n);
}

if (!token) {
  const page = await open({ viewport: { width: 1280, height: 900 } });
  await live(page);
  out({ kind: 'live', login: await page.locator('#login').isVisible(), connections: await connections(page) });
} else {
  const page = await open({ viewport: { width: 1280, height: 900 } });
  await signIn(page, 'wrong-token');
  await page.waitForFunction(() => document.getElementById('login-error').textContent !== '', null, WAIT);
  out({ kind: 'refused', text: await text(page, '#login-error'), app: await page.locator('#app').isVisible() });

  await signIn(page, token);
  await live(page);
  out({ kind: 'signed_in', url: page.url(), connections: await connections(page) });

  // The test connects dashboard-probe now.
  const probe = page.locator('#connections tr[data-client="dashboard-probe"]');
  await probe.waitFor(WAIT);
  out({ kind: 'probe_shown', connections: await connections(page), cells: await probe.locator('td').allTextContents() });
  await probe.getByRole('button', { name: 'Disconnect dashboard-probe' }).click();
  out({ kind: 'clicked' });
  await probe.waitFor({ state: 'detached', ...WAIT });
  out({ kind: 'probe_gone', connections: await connections(page) });

  await page.waitForFunction(() => document.querySelector('#geo-countries li[data-label]'), null, WAIT);
  const labels = (sel) => page.$$eval(`${sel} li[data-label]`, (lis) => lis.map((li) => li.dataset.label));
  out({
    kind: 'facts',
    networks: await labels('#geo-networks'),
    countries: await labels('#geo-countries'),
    cities: await labels('#geo-cities'),
    protocols: await labels('#protocols'),
    ages: await labels('#ages'),
    writers: (await labels('#writers')).length,
    process: await text(page, '#process'),
    place: await text(page, '#connections tr[data-client="automation-audit"] .place'),
    delivered: await text(page, '#s-delivery'),
    bandwidth: await text(page, '#s-bandwidth'),
  });

  await page.fill('#f-domain', 'light');
  await page.click('#feed-toggle');
  await page.waitForFunction(() => document.querySelectorAll('#feed li[data-type]').length >= 5, null, WAIT);
  out({ kind: 'feed', domains: await page.$$eval('#feed li[data-type]', (lis) => lis.map((li) => li.dataset.domain)) });

  // The test set an alert rule that the clients it keeps connected exceed.
  const firing = page.locator('#alerts li.firing');
  await firing.first().waitFor(WAIT);
  out({ kind: 'alert', text: await firing.first().textContent() });

  await pushes(page, 5);
  const desktop = join(shots, 'dashboard-desktop.png');
  await page.screenshot({ path: desktop, fullPage: true });
  out({ kind: 'screenshot', path: desktop });

  const phone = await open({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await signIn(phone, token);
  await live(phone);
  await phone.locator('#connections tr').first().waitFor(WAIT);
  await pushes(phone, 3);
  const small = join(shots, 'dashboard-phone.png');
  await phone.screenshot({ path: small, fullPage: true });
  out({ kind: 'screenshot', path: small });
}
out({ kind: 'done' });
