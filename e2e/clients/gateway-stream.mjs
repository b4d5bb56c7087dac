// GatewayStream: our own reconnecting client for hasse's event stream, written from SPEC.md §4 and
// the README for the end-to-end tests. It runs unchanged in Node (given an EventSource
// implementation, e.g. the `eventsource` package) and in a browser (the native EventSource).
//
// What it does, as a web page using hasse would:
// - the token and the filters go in the query string (a browser's EventSource cannot set headers);
// - the envelope format arrives on `onmessage`; the named format on `addEventListener(name)` for
//   each name asked for (`connected`, `state_changed`, …);
// - on an error it closes the EventSource (so the implementation's own retry does not run) and
//   opens a new one after an exponential backoff, with `last_event_id` in the query so the
//   gateway replays what was missed (SPEC.md §4.5); after `attempts` failures in a row it gives up.
//   The count of failures starts again at the stream's connection event.

/** Backoff when none is given: 1 s, 2 s, 4 s, … up to 30 s, five tries in a row. */
export const defaultBackoff = Object.freeze({ initial: 1000, factor: 2, max: 30000, attempts: 5 });

export class GatewayStream {
  #base;
  #token;
  #params;
  #named;
  #backoff;
  #EventSource;
  #on;
  #source = null;
  #timer = null;
  #failures = 0;
  #lastEventId = '';
  #closed = false;

  /**
   * Opens the stream at once.
   * @param {object} o
   * @param {string} o.url the stream's URL, e.g. http://127.0.0.1:3000/subscribe_events
   * @param {string} [o.token] sent as `token=` in the query
   * @param {Record<string, string>} [o.params] more query parameters: domain, entity_id, events, type, format, …
   * @param {string[]} [o.named] event names to listen for with addEventListener (the named format)
   * @param {Partial<typeof defaultBackoff>} [o.backoff] milliseconds, and how many failures in a row to retry
   * @param {typeof EventSource} [o.EventSource] the implementation; the global one by default
   * @param {object} [o.on] callbacks: open(), event(name, data, lastEventId), error(status),
   *   retry(attempt, delayMs, lastEventId), giveUp(failures)
   */
  constructor({ url, token = '', params = {}, named = [], backoff = {}, EventSource = globalThis.EventSource, on = {} }) {
    this.#base = url;
    this.#token = token;
    this.#params = params;
    this.#named = named;
    this.#backoff = { ...defaultBackoff, ...backoff };
    this.#EventSource = EventSource;
    this.#on = on;
    this.#open();
  }

  /** The id of the last event received: where a reconnect resumes. */
  get lastEventId() {
    return this.#lastEventId;
  }

  /** Closes the stream for good. */
  close() {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#source?.close();
  }

  #url() {
    const query = new URLSearchParams(this.#params);
    if (this.#token) query.set('token', this.#token);
    if (this.#lastEventId) query.set('last_event_id', this.#lastEventId);
    const q = query.toString();
    return q ? `${this.#base}?${q}` : this.#base;
  }

  #open() {
    const source = new this.#EventSource(this.#url());
    this.#source = source;
    source.onopen = () => this.#on.open?.();
    source.onmessage = (e) => this.#receive('message', e);
    for (const name of this.#named) source.addEventListener(name, (e) => this.#receive(name, e));
    source.onerror = (e) => this.#fail(source, e);
  }

  #receive(name, e) {
    // A named `error` event from the server carries data; the EventSource's own error does not.
    if (typeof e.data !== 'string') return;
    if (e.lastEventId) this.#lastEventId = e.lastEventId;
    const data = JSON.parse(e.data);
    if (name === 'connected' || (name === 'message' && data.type === 'connection')) this.#failures = 0;
    this.#on.event?.(name, data, e.lastEventId);
  }

  #fail(source, e) {
    if (typeof e.data === 'string' || source !== this.#source) return;
    source.close();
    // eventsource@2 says the HTTP status as `status`, eventsource@4 as `code`; a browser says nothing.
    this.#on.error?.(e.status ?? e.code ?? 0);
    if (this.#closed) return;
    if (this.#failures >= this.#backoff.attempts) {
      this.#on.giveUp?.(this.#failures);
      return;
    }
    this.#failures++;
    const { initial, factor, max } = this.#backoff;
    const delay = Math.min(initial * factor ** (this.#failures - 1), max);
    this.#on.retry?.(this.#failures, delay, this.#lastEventId);
    this.#timer = setTimeout(() => this.#open(), delay);
  }
}
