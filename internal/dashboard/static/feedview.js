// The live event feed: the filter form, Start/Stop, and the newest events first.
import { clock, el } from './format.js';
import { Feed } from './feed.js';

const MAX_ROWS = 200;
const FILTERS = ['domain', 'entity_id', 'events', 'area', 'label', 'device_class', 'throttle'];

const $ = (id) => document.getElementById(id);

// row describes one envelope event (SPEC.md §4.3) in a list item.
function row(ev) {
  const d = ev.data || {};
  let what = ev.entity_id || ev.domain || '';
  let state = null;
  switch (ev.type) {
    case 'state_changed': {
      const old = d.old_state?.state;
      state = el('span', { class: 'state' },
        old != null && old !== ev.state ? el('span', { class: 'old', text: `${old} → ` }) : null,
        ev.state == null ? 'removed' : String(ev.state));
      break;
    }
    case 'service_called': {
      what = `${d.domain}.${d.service}`;
      const sd = d.service_data || {};
      const targets = [sd.entity_id, sd.target?.entity_id].flat().filter(Boolean);
      const more = targets.length > 1 ? ` +${targets.length - 1}` : '';
      if (targets.length) state = el('span', { class: 'state', title: targets.join(', ') }, el('span', { class: 'old', text: `→ ${targets[0]}${more}` }));
      break;
    }
  }
  return el('li', { 'data-type': ev.type, 'data-entity': ev.entity_id || '', 'data-domain': ev.domain || '' },
    el('time', { datetime: ev.timestamp, text: clock(ev.timestamp) }),
    el('span', { class: 'type', text: ev.type }),
    el('span', { class: 'what', text: what }),
    state ?? el('span'));
}

function note(text) {
  return el('li', { class: 'control' }, el('time', { text: clock() }), el('span', { text }));
}

// FeedView runs the live event feed section. token() gives the current token.
export class FeedView {
  constructor(token) {
    this.token = token;
    this.feed = null;
    this.path = 'subscribe_events';
    this.queue = []; // rows waiting for the next frame
    this.seen = 0;
    $('feed-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.feed ? this.feed.stop() : this.start();
    });
    $('feed-clear').addEventListener('click', () => $('feed').replaceChildren());
  }

  // setEnabled follows /health: whether the SSE endpoint is served, and at which path.
  setEnabled(enabled, path) {
    if (path) this.path = path.replace(/^\//, ''); // relative, like every call of the page
    $('feed-toggle').disabled = !enabled;
    if (!enabled) this.status('This gateway serves no SSE endpoint (MCP_SSE_EVENTS_ENABLED=false).');
  }

  status(text) {
    $('feed-status').textContent = text;
  }

  start() {
    const params = new URLSearchParams({ format: 'envelope', client_id: 'hasse-dashboard' });
    for (const name of FILTERS) {
      const v = $(`f-${name}`).value.trim();
      if (v) params.set(name, v);
    }
    if ($('f-changes').checked) params.set('changes', 'state');
    this.seen = 0;
    this.feed = new Feed(this.path, this.token(), {
      onEvent: (ev) => this.onEvent(ev.data),
      onEnd: (message) => {
        this.feed = null;
        $('feed-toggle').textContent = 'Start';
        this.status(message ? `Stopped: ${message}.` : `Stopped after ${this.seen} events.`);
      },
    });
    $('feed-toggle').textContent = 'Stop';
    this.status('Connecting…');
    this.feed.start(params);
  }

  onEvent(ev) {
    switch (ev.type) {
      case 'connection':
        this.status(`Live as ${ev.id}.`);
        return;
      case 'ping':
        return;
      case 'error':
        this.add(note(`error ${ev.error}: ${ev.message}`));
        return;
      case 'gap':
        this.add(note(`gap (${ev.reason}): events may be missing`));
        return;
      case 'disconnect':
        this.add(note(`disconnected by the server: ${ev.reason}`));
        return;
    }
    this.seen++;
    this.status(`Live: ${this.seen} events.`);
    this.add(row(ev));
  }

  // add shows li at the top of the list with the next frame, so a fast stream costs one layout
  // per frame; at most MAX_ROWS wait, and stay.
  add(li) {
    this.queue.push(li);
    if (this.queue.length > MAX_ROWS) this.queue.shift();
    if (this.queue.length === 1) {
      requestAnimationFrame(() => {
        const list = $('feed');
        list.prepend(...this.queue.reverse());
        this.queue = [];
        while (list.childElementCount > MAX_ROWS) list.lastElementChild.remove();
      });
    }
  }
}
