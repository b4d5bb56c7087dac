// Feed reads hasse's SSE endpoint with fetch and a streaming body reader, so that the token goes
// in an Authorization header and never into a URL (EventSource cannot set headers). It parses the
// event stream itself: `data:` lines joined by newlines, `event:` and `id:`, an event per blank line.
//
// Callbacks: onEvent({event, id, data}) per event with its data parsed as JSON; onEnd(message)
// once when the stream ends, is refused, or is stopped (message null then).
export class Feed {
  constructor(path, token, { onEvent, onEnd }) {
    this.path = path;
    this.token = token;
    this.onEvent = onEvent;
    this.onEnd = onEnd;
  }

  // start opens the stream with the given filters (URLSearchParams).
  async start(params) {
    this.abort = new AbortController();
    const headers = { Accept: 'text/event-stream' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let message = 'the stream ended';
    try {
      const res = await fetch(`${this.path}?${params}`, { headers, signal: this.abort.signal, cache: 'no-store' });
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        message = `refused: ${body.message || res.statusText} (${res.status})`;
        return;
      }
      await this.read(res.body.getReader());
    } catch (err) {
      message = this.abort.signal.aborted ? null : `the stream failed: ${err.message}`;
    } finally {
      if (this.abort.signal.aborted) message = null;
      this.onEnd(message);
    }
  }

  stop() {
    this.abort?.abort();
  }

  async read(reader) {
    const decoder = new TextDecoder();
    let buf = '';
    let ev = { event: '', id: '', data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      const lines = buf.split(/\r\n|\r(?!$)|\n/); // a final \r may be half of a \r\n
      buf = lines.pop(); // an unfinished line waits for the next chunk
      for (const line of lines) {
        if (line === '') {
          if (ev.data.length) this.dispatch(ev);
          ev = { event: '', id: '', data: [] };
          continue;
        }
        if (line.startsWith(':')) continue; // a comment: keep-alive
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') ev.data.push(value);
        else if (field === 'event') ev.event = value;
        else if (field === 'id') ev.id = value;
      }
    }
  }

  dispatch(ev) {
    let data;
    try {
      data = JSON.parse(ev.data.join('\n'));
    } catch {
      return;
    }
    this.onEvent({ event: ev.event || 'message', id: ev.id, data });
  }
}
