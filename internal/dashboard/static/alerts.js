// The alerts list: firing and pending alerts, then the last few resolved.
import { bytes, clock, decimal, el } from './format.js';

const RECENT = 3;

// value writes a metric's value in its unit (stats.Rule lists the metrics).
function value(metric, v) {
  switch (metric) {
    case 'memory':
      return bytes(v);
    case 'cpu':
    case 'connections_pct':
      return `${decimal(v)}%`;
    case 'latency_p99':
      return `${decimal(v)} ms`;
    case 'event_rate':
      return `${decimal(v)}/s`;
    case 'error_rate':
      return `${decimal(v)}/min`;
    case 'delivery_success_rate':
      return `${decimal(v, 2)}%`;
    case 'bandwidth':
    case 'disk_write':
      return `${bytes(v)}/s`;
  }
  return decimal(v);
}

function item(a) {
  const when = a.state === 'resolved' ? a.resolved_at : a.state === 'firing' ? a.fired_at : a.active_at;
  const name = a.rule === a.metric ? a.metric : `${a.rule}: ${a.metric}`;
  return el('li', { class: `alert ${a.state}`, 'data-rule': a.rule },
    el('b', { text: a.state }),
    `${name} at ${value(a.metric, a.value)}, ${a.below ? 'below' : 'above'} ${value(a.metric, a.threshold)} for ${a.for}`,
    el('span', { class: 'muted', text: when ? ` · ${a.state === 'resolved' ? 'at' : 'since'} ${clock(when)}` : '' }));
}

// renderAlerts fills ul with the active alerts (firing first) and the last resolved ones.
export function renderAlerts(ul, active, recent) {
  const order = { firing: 0, pending: 1 };
  const items = [...active].sort((a, b) => (order[a.state] ?? 2) - (order[b.state] ?? 2)).map(item);
  if (items.length === 0) items.push(el('li', { class: 'muted', text: 'No alert is firing.' }));
  items.push(...recent.slice(0, RECENT).map(item));
  ul.replaceChildren(...items);
}
