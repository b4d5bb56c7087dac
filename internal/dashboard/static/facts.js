// The panels of facts about the open connections: where they come from (network class, IP
// version, country, city), their protocols and ages, the writer pool's shards, and the process's
// threads and disk I/O. Each list is a label, a count and a bar scaled to the largest.
import { bytes, count, decimal, el, percent, perSecond, protocol } from './format.js';

// bars fills ul with one item per [label, value] pair, largest first unless keep is set;
// empty says what the list shows when it has no item.
function bars(ul, pairs, empty, { keep = false, format = count, title = () => null } = {}) {
  const list = keep ? pairs : [...pairs].sort((a, b) => b[1] - a[1]);
  const top = Math.max(1, ...list.map(([, v]) => v));
  const items = list.map(([label, v]) => {
    const bar = el('span', { class: 'bar' });
    bar.style.setProperty('--w', `${Math.round((v / top) * 100)}%`); // CSSOM: the page's policy allows no style attribute
    return el('li', { 'data-label': label, title: title(label, v) },
      el('span', { class: 'label', text: label }), el('span', { class: 'value', text: format(v) }), bar);
  });
  ul.replaceChildren(...(items.length ? items : [el('li', { class: 'muted', text: empty })]));
}

const entries = (m) => Object.entries(m || {}).filter(([, v]) => v > 0);

// renderGeography shows where the open connections come from.
export function renderGeography(g = {}) {
  const $ = (id) => document.getElementById(id);
  bars($('geo-networks'), entries(g.networks), 'No client.');
  bars($('geo-versions'), entries(g.ip_versions), 'No client.');
  const noDB = 'No geographic database (MCP_SSE_GEOIP_DB).';
  bars($('geo-countries'), entries(g.countries), g.database ? 'No client from a public address.' : noDB);
  bars($('geo-cities'), entries(g.cities), g.database ? 'No city known.' : noDB);
}

// renderPools shows the open connections' protocols and ages, the writers and the process.
export function renderPools(d) {
  const $ = (id) => document.getElementById(id);
  const protos = entries(d.protocols).map(([p, n]) => [protocol(p), n]);
  bars($('protocols'), protos, 'No client.', { title: () => `${count(d.tls_connections)} over TLS` });
  const ages = (d.connection_duration?.distribution || []).map((b) => [b.range, b.count]);
  bars($('ages'), ages, 'No client.', { keep: true });
  const pool = d.connection_pool || {};
  const shards = (pool.shards || []).map((s, i) => [`writer ${i + 1}`, s.connections, s]);
  bars($('writers'), shards, 'Every stream has a goroutine of its own.', {
    keep: true,
    title: (label) => {
      const s = shards.find(([l]) => l === label)?.[2];
      return s ? `${percent(s.busy)} busy · ${count(s.writes)} writes · ${bytes(s.bytes_sent)}` : null;
    },
  });
  const t = d.thread_pool || {};
  const io = d.disk_io || {};
  const facts = [
    ['Connection slots', `${count(pool.open)} of ${pool.limit ? count(pool.limit) : '∞'}`],
    ['Pooled streams', count(pool.pooled)],
    ['Goroutines', count(t.goroutines)],
    ['OS threads', `${count(t.os_threads)} (GOMAXPROCS ${count(t.gomaxprocs)}, ${count(t.cpus)} CPUs)`],
    ['Disk', `read ${perSecond(io.read_bytes_per_second)} · write ${perSecond(io.write_bytes_per_second)}`],
    ['History writes', `${count(io.history_writes)} (${decimal((io.history_write_seconds || 0) * 1000)} ms)`],
  ];
  $('process').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
}
