// The dashboard: signs in, follows the statistics WebSocket API, and draws what it says.
import * as fmt from './format.js';
import { StatsSocket } from './socket.js';
import { makeCharts } from './charts.js';
import { renderConnections } from './connections.js';
import { renderAlerts } from './alerts.js';
import { renderGeography, renderPools } from './facts.js';
import { FeedView } from './feedview.js';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'hasse.token'; // sessionStorage: this tab only, gone when it closes
const PUSH_INTERVAL = '2s';

const app = {
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  health: null,
  socket: null,
  charts: null,
  stats: null, // the latest statistics
  last: null, // the previous statistics push: {t, total}, for events/s
  conns: [],
  recentAlerts: [],
  refreshing: false,
  feed: null,
};

// authHeaders are the headers of a REST call: the token as Bearer, when there is one.
const authHeaders = () => (app.token ? { Authorization: `Bearer ${app.token}` } : {});

function setLink(text, kind = '') {
  $('link').textContent = text;
  $('link').className = `pill ${kind}`;
}

// uptime writes an ISO 8601 duration (PT1H2M3S) as "1h 2m".
function uptime(iso) {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(iso || '');
  if (!m) return '';
  const [h, min, s] = m.slice(1).map((v) => Number(v || 0));
  return fmt.duration((h * 60 + min) * 60 + s);
}

// showSource says what the gateway is connected to, its version and uptime (from the last
// statistics, when there are any).
function showSource() {
  const h = app.health;
  const stats = app.stats;
  const parts = [];
  if (h) {
    parts.push(h.ha?.connected ? `Home Assistant ${h.ha.version || ''} connected` : `Home Assistant: ${h.ha?.problem || 'not connected'}`);
    if (h.version) parts.push(h.version);
  }
  if (stats?.uptime) parts.push(`up ${uptime(stats.uptime)}`);
  $('source').textContent = parts.join(' · ');
}

async function loadHealth() {
  try {
    const res = await fetch('health', { cache: 'no-store' });
    app.health = await res.json();
  } catch {
    return; // the statistics socket shows the link's state
  }
  showSource();
  app.feed?.setEnabled(app.health.sseEventsEnabled !== false, app.health.sseEventsPath);
}

// Sign-in.

function showLogin(message) {
  app.socket?.stop();
  $('app').hidden = true;
  $('login').hidden = false;
  $('signout').hidden = true;
  $('login-error').textContent = message || '';
  setLink('signed out');
  $('token').focus();
}

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const token = $('token').value.trim();
  if (!token) return;
  $('token').value = '';
  app.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  $('login-error').textContent = '';
  connect();
});

$('signout').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
});

// The statistics socket.

function connect() {
  app.socket?.stop();
  const url = new URL('api/sse/ws', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  app.socket = new StatsSocket(url, app.token, {
    onState: (s) => setLink(...{ connecting: ['connecting…'], live: ['live', 'ok'], lost: ['reconnecting…', 'bad'] }[s]),
    onAuth: (message, code) => {
      if (app.token && code !== 'UNAUTHORIZED' && code !== 'FORBIDDEN') {
        setLink(`cannot sign in: ${message || code}`, 'bad'); // e.g. Home Assistant unreachable
        setTimeout(connect, 5000);
        return;
      }
      const had = app.token;
      app.token = '';
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin(had ? `That token was refused: ${message || code}` : '');
    },
    onReady: ready,
    onPush: (msg) => (msg.type === 'sse_stats' ? onStats(msg.data) : loadAlerts()),
  });
  app.socket.start();
}

async function ready() {
  $('login').hidden = true;
  $('app').hidden = false;
  $('signout').hidden = !app.token;
  if (!app.charts) {
    app.charts = makeCharts(fmt); // now that the charts' boxes have a width
    app.feed = new FeedView(() => app.token);
    app.feed.setEnabled(app.health?.sseEventsEnabled !== false, app.health?.sseEventsPath);
    await backfill();
  }
  const s = app.socket;
  try {
    const first = await s.request('get_sse_stats');
    onStats(first, false);
    await s.request('subscribe_sse_stats', { interval: PUSH_INTERVAL });
    await loadAlerts();
  } catch {
    // the socket was lost meanwhile; it reconnects and calls ready again
  }
}

// backfill draws the last hour from the history route before live points follow.
async function backfill() {
  let series = [];
  try {
    const res = await fetch('api/sse/history?period=1h&limit=0', { headers: authHeaders(), cache: 'no-store' });
    if (res.ok) series = (await res.json()).data.series || [];
  } catch {
    return;
  }
  const c = app.charts;
  for (const p of series) {
    const t = Date.parse(p.timestamp) / 1000;
    c.connections.add(t, [p.connections]);
    c.rate.add(t, [p.events_per_second]);
    c.latency.add(t, [null, null, p.latency_p99]);
    c.resources.add(t, [p.memory, p.cpu]);
    c.network.add(t, [p.bytes_per_second, p.delivery_success_rate]);
  }
}

// onStats shows one statistics push (or the first get_sse_stats answer, which also holds the
// connections; a push asks for them). Events/s is measured between pushes, so it moves every push.
function onStats(d, chart = true) {
  const now = Date.now() / 1000;
  let rate = d.events_per_second;
  if (app.last && now - app.last.t > 0.5) rate = Math.max(0, (d.total_events_sent - app.last.total) / (now - app.last.t));
  app.last = { t: now, total: d.total_events_sent };

  $('s-rate').textContent = fmt.decimal(rate);
  $('s-sent').textContent = fmt.count(d.total_events_sent);
  const l = d.latency || {};
  $('s-latency').replaceChildren(fmt.ms(l.p99), fmt.el('small', { text: ' ms' }));
  $('s-latency-low').textContent = `p50 ${fmt.ms(l.p50)} · p95 ${fmt.ms(l.p95)}`;
  $('s-memory').textContent = fmt.bytes(d.memory_usage);
  $('s-cpu').replaceChildren(fmt.decimal(d.cpu_usage), fmt.el('small', { text: ' %' }));
  $('s-backlog').textContent = fmt.count(d.event_backlog);
  $('s-dropped').textContent = fmt.count(d.dropped_clients);
  const dl = d.delivery || {};
  $('s-delivery').textContent = fmt.percent(dl.success_rate);
  $('s-delivery-low').textContent = `${fmt.count(dl.undelivered)} undelivered`;
  $('s-bandwidth').textContent = fmt.perSecond(d.bytes_per_second);
  $('s-bandwidth-low').textContent = `${fmt.bytes(d.bytes_sent)} in all`;
  app.stats = d;
  showSource();
  renderAlerts($('alerts'), d.alerts || [], app.recentAlerts);
  renderGeography(d.geography);
  renderPools(d);

  if (chart) {
    const c = app.charts;
    c.connections.add(now, [d.active_connections]);
    c.rate.add(now, [rate]);
    c.latency.add(now, [l.p50, l.p95, l.p99]);
    c.resources.add(now, [d.memory_usage, d.cpu_usage]);
    c.network.add(now, [d.bytes_per_second, dl.recent_success_rate]);
  }
  if (d.clients) showConnections(d.clients);
  else refreshConnections();
}

async function loadAlerts() {
  try {
    const a = await app.socket.request('get_sse_alerts');
    app.recentAlerts = a.recent || [];
    renderAlerts($('alerts'), a.active || [], app.recentAlerts);
  } catch {
    // shown again with the next push
  }
}

// Connections.

async function refreshConnections() {
  if (app.refreshing) return; // one question at a time; the next push asks again
  app.refreshing = true;
  try {
    const d = await app.socket.request('get_sse_stats');
    showConnections(d.clients || []);
  } catch {
    // the socket shows that it is reconnecting
  } finally {
    app.refreshing = false;
  }
}

// showConnections draws the table, and counts its rows in the connections card: both then come
// from one answer and agree.
function showConnections(conns) {
  app.conns = conns;
  $('s-connections').textContent = fmt.count(conns.length);
  const filter = $('conn-filter').value;
  const shown = renderConnections($('connections'), conns, filter, disconnect);
  $('conn-count').textContent = filter || shown < conns.length ? `(${shown} of ${conns.length})` : `(${conns.length})`;
  $('conn-empty').hidden = shown > 0;
  $('conn-empty').textContent = conns.length ? 'No connection matches the filter.' : 'No client is connected.';
}

$('conn-filter').addEventListener('input', () => showConnections(app.conns));

async function disconnect(c) {
  if (!confirm(`Disconnect ${c.client_id} (${c.ip_address})? It gets a disconnect event and may connect again.`)) return;
  try {
    const res = await fetch(`api/sse/connections/${encodeURIComponent(c.id)}`, { method: 'DELETE', headers: authHeaders() });
    if (!res.ok && res.status !== 404) { // 404: it has gone already
      const body = await res.json().catch(() => ({}));
      alert(`Could not disconnect ${c.client_id}: ${body.message || res.statusText}`);
    }
  } catch (err) {
    alert(`Could not disconnect ${c.client_id}: ${err.message}`);
  }
  refreshConnections();
}

loadHealth();
setInterval(loadHealth, 30_000);
connect();
