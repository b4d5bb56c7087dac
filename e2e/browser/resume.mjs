// One native EventSource, left to reconnect by itself, for TestBrowserResumeAcrossCuts.
//
//   node browser/resume.mjs <stream-url>
//
// Prints (see page.mjs) {"kind":"open","n"} and {"kind":"error","n","readyState"} as the
// EventSource fires them, and per message {"kind":"message","n","lastEventId","type","id",
// "resumed","reason"}: MessageEvent.lastEventId and the envelope's fields, not its whole data.
import { openPage } from './page.mjs';

const [url] = process.argv.slice(2);
if (!url) throw new Error('usage: resume.mjs <stream-url>');

const { load } = await openPage({
  title: 'hasse: resume',
  config: { url },
  script: `
let n = 0;
const es = new EventSource(config.url);
es.onopen = () => __report({ kind: 'open', n: ++n });
es.onerror = () => __report({ kind: 'error', n: ++n, readyState: es.readyState });
es.onmessage = (e) => {
  const d = JSON.parse(e.data);
  __report({ kind: 'message', n: ++n, lastEventId: e.lastEventId, type: d.type, id: d.id,
    resumed: d.resumed, reason: d.reason });
};
`,
});
await load();
