// The connection table: one row per open SSE connection, with its filters and a disconnect button.
import { bytes, count, duration, el, perSecond, protocol } from './format.js';

const MAX_ROWS = 500; // rows drawn; the filter box finds the others

// filterTags shows a connection's subscriptions (one per type × target pattern) as the filters it
// asked for: event types, then entity ids and domains; "everything" when it asked for none.
function filterTags(subs = []) {
  const pick = (key) => [...new Set(subs.map((s) => s[key]).filter(Boolean))];
  const tags = [
    ...pick('event_type').map((v) => ['type', v]),
    ...pick('entity_id').map((v) => ['entity', v]),
    ...pick('domain').map((v) => ['domain', v]),
  ].map(([kind, v]) => el('span', { class: 'tag', title: kind, text: v }));
  return tags.length ? tags : [el('span', { class: 'tag all', text: 'everything' })];
}

function searchText(c) {
  const subs = (c.subscriptions || []).flatMap((s) => [s.event_type, s.entity_id, s.domain]);
  return [c.id, c.client_id, c.user_id, c.ip_address, c.user_agent, c.format, c.protocol, c.network, c.country, c.city, ...subs]
    .join(' ').toLowerCase();
}

// place says where an address is: its city and country when the geographic database knows
// them, else its network class (loopback, private, …).
export function place(c) {
  if (c.country) return c.city ? `${c.city}, ${c.country}` : c.country;
  return c.network || '';
}

// renderConnections fills tbody with the connections that match the filter text; onDisconnect(c)
// is called when one's button is pressed. It returns how many rows it drew.
export function renderConnections(tbody, conns, filter, onDisconnect) {
  const q = filter.trim().toLowerCase();
  const shown = (q ? conns.filter((c) => searchText(c).includes(q)) : conns).slice(0, MAX_ROWS);
  const now = Date.now();
  tbody.replaceChildren(...shown.map((c) => el('tr', { 'data-id': c.id, 'data-client': c.client_id, class: c.state === 'closing' ? 'closing' : null },
    el('td', { 'data-label': 'Client', class: 'wide' }, el('span', {}, c.client_id, el('span', { class: 'id', text: c.id }))),
    el('td', { 'data-label': 'User', text: c.user_id }),
    el('td', { 'data-label': 'Filters', class: 'wide' }, ...filterTags(c.subscriptions)),
    el('td', { 'data-label': 'Duration', class: 'duration', title: `connected at ${c.connected_at}`, text: duration(c.duration ?? (now - Date.parse(c.connected_at)) / 1000) }),
    el('td', { 'data-label': 'Protocol', class: 'protocol' }, protocol(c.protocol),
      el('span', { class: 'sub', text: c.tls ? c.tls_version || 'TLS' : 'plain' })),
    el('td', { 'data-label': 'Events sent', class: 'num', text: count(c.events_sent) }),
    el('td', { 'data-label': 'Bytes sent', class: 'num bytes', title: `${count(c.bytes_sent)} bytes` }, bytes(c.bytes_sent),
      el('span', { class: 'sub', text: perSecond(c.bytes_per_second) })),
    el('td', { 'data-label': 'Queued', class: 'num', text: count(c.queued_events) }),
    el('td', { 'data-label': 'Address', class: 'wide' }, c.ip_address,
      el('span', { class: 'place', text: place(c) }),
      el('span', { class: 'ua', title: c.user_agent, text: c.user_agent })),
    el('td', {}, el('button', {
      type: 'button',
      class: 'danger',
      text: 'Disconnect',
      'aria-label': `Disconnect ${c.client_id}`,
      disabled: c.state === 'closing',
      onclick: () => onDisconnect(c),
    })),
  )));
  return shown.length;
}
