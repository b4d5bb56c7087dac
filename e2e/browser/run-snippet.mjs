// Runs browser snippets from the seed documents exactly as written there, in headless Chromium,
// with only their base URL and token substituted (SPEC.md §11). The code is read from the
// document at run time, so nothing here can drift from it.
// The seed tier: cmd/hasse/seeds_e2e_test.go runs it only where the documents are found.
//
//   node browser/run-snippet.mjs <seed.md> <base-url> <token> <heading>... [--observe a,b] [--screenshot file.png]
//
// Each <heading> is text of the heading its ```javascript block follows; the blocks run in order as
// one classic script, so a later block sees an earlier one's `const` (seed 2's `token`, seed 3's
// `eventSource`). The page comes from a server of this script's own on another port than the
// gateway: another origin, so every EventSource request is a CORS request.
// --observe names snippet variables holding an EventSource with no handler of its own (seed 3's
// filter examples); harness code appended after the snippet reports what they receive.
//
// Prints one JSON line per thing seen: {"kind":"page","url"} as the page loads, then
// {"kind":"console","type","text","args"} per console message (args as JSON values),
// {"kind":"observe","name","event","data"} per event of an observed EventSource, and
// {"kind":"pageerror","text"} per uncaught exception. Runs until stdin closes, then (after the
// screenshot, if asked for) closes the browser and exits.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';

const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv.splice(i, 2)[1];
};
const observe = (option('--observe') ?? '').split(',').filter(Boolean);
const screenshot = option('--screenshot');
const [file, baseURL, token, ...headings] = argv;
if (!headings.length) throw new Error('usage: run-snippet.mjs <seed.md> <base-url> <token> <heading>...');

const doc = readFileSync(file, 'utf8');
const seedBaseURLs = ['http://localhost:3000', 'http://mcpserver.10.0.0.18.nip.io:3000'];
const seedTokens = ['YOUR_HASS_TOKEN', 'YOUR_TOKEN', 'YOUR_JWT_TOKEN'];
let code = '';
for (const heading of headings) {
  const at = doc.indexOf(heading);
  if (at < 0) throw new Error(`heading ${JSON.stringify(heading)} not in ${file}`);
  const block = doc.slice(at).match(/```javascript\n([\s\S]*?)```/);
  if (!block) throw new Error(`no javascript block after ${JSON.stringify(heading)}`);
  code += block[1] + '\n';
}
for (const u of seedBaseURLs) code = code.replaceAll(u, baseURL);
for (const t of seedTokens) code = code.replaceAll(t, token);
if (observe.length) {
  // Harness, not seed: in the same script, so it is attached before any event can be dispatched.
  code += `;{ for (const name of ${JSON.stringify(observe)}) {
  const es = Function('return ' + name)();
  for (const event of ['open', 'message', 'error'])
    es.addEventListener(event, (e) => __hasseObserve({ name, event, data: e.data ?? null }));
} }\n`;
}

// One write per line, in the order things happened (console arguments resolve asynchronously).
let queue = Promise.resolve();
const emit = (make) => {
  queue = queue.then(make).then((rec) => process.stdout.write(JSON.stringify(rec) + '\n'));
};
const shown = []; // what the screenshot shows: the page's console, as a reader would see it

const server = createServer((req, res) => {
  if (req.url === '/snippet.js') {
    res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(code);
  } else if (req.url === '/') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      .end('<!doctype html><title>hasse seed snippet</title><script src="/snippet.js"></script>');
  } else {
    res.writeHead(204).end(); // favicon: no 404 in the console
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const pageURL = `http://127.0.0.1:${server.address().port}/`;

// Debian's Chromium; the flags keep it off the network this machine refuses. launch() gives it a
// fresh, temporary profile.
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  handleSIGTERM: false, // finish() closes the browser itself, after the screenshot
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--disable-quic', '--disable-sync'],
});
const page = await browser.newPage();
await page.exposeBinding('__hasseObserve', (_source, rec) => emit(() => ({ kind: 'observe', ...rec })));
page.on('console', (msg) => emit(async () => {
  const args = await Promise.all(msg.args().map((a) => a.jsonValue().catch(() => a.toString())));
  shown.push(`${msg.type()}: ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`.slice(0, 160));
  return { kind: 'console', type: msg.type(), text: msg.text(), args };
}));
page.on('pageerror', (err) => emit(() => ({ kind: 'pageerror', text: String(err.stack ?? err) })));
emit(() => ({ kind: 'page', url: pageURL })); // first, so the reader knows the page's origin
await page.goto(pageURL);

let finishing = false;
async function finish() {
  if (finishing) return;
  finishing = true;
  await queue;
  if (screenshot) {
    await page.evaluate((lines) => {
      document.body.innerHTML = '<h1 style="font:bold 16px sans-serif">hasse: a seed snippet\'s console</h1><pre style="font:12px monospace;white-space:pre-wrap"></pre>';
      document.querySelector('pre').textContent = lines.join('\n');
    }, shown.slice(-40));
    await page.screenshot({ path: screenshot, fullPage: true });
  }
  await browser.close();
  process.exit(0);
}
process.stdin.on('end', finish).resume();
process.on('SIGTERM', finish);
process.stdout.on('error', finish); // the reader went away: nothing more to say
