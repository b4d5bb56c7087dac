// Many native EventSources from one page, for TestBrowserHTTP2ManyStreams.
//
//   node browser/h2.mjs <stream-url> <count>
//
// The page opens <count> EventSources on <stream-url>?client_id=h2-<i>, over HTTPS with the
// certificate errors of a self-signed certificate ignored. Prints (see page.mjs)
// {"kind":"response","url","protocol","status"} as each stream's response headers arrive
// (Chromium's DevTools protocol: "h2" or "http/1.1"), then per stream i {"kind":"open","stream":i},
// {"kind":"error","stream":i,"readyState"}, and its first messages
// {"kind":"message","stream":i,"lastEventId","type","id"}.
import { openPage } from './page.mjs';

const [url, count] = process.argv.slice(2);
if (!url || !(count > 0)) throw new Error('usage: h2.mjs <stream-url> <count>');

const { context, page, load, out } = await openPage({
  title: 'hasse: many streams',
  config: { url, count: Number(count), reportFirst: 5 },
  contextOptions: { ignoreHTTPSErrors: true },
  script: `
for (let i = 0; i < config.count; i++) {
  const es = new EventSource(config.url + '?client_id=h2-' + i);
  let messages = 0;
  es.onopen = () => __report({ kind: 'open', stream: i });
  es.onerror = () => __report({ kind: 'error', stream: i, readyState: es.readyState });
  es.onmessage = (e) => {
    if (messages++ >= config.reportFirst) return;
    const d = JSON.parse(e.data);
    __report({ kind: 'message', stream: i, lastEventId: e.lastEventId, type: d.type, id: d.id });
  };
}
`,
});
const cdp = await context.newCDPSession(page);
cdp.on('Network.responseReceived', ({ response }) => {
  if (response.url.startsWith(url)) out({ kind: 'response', url: response.url, protocol: response.protocol, status: response.status });
});
await cdp.send('Network.enable');
await load();
