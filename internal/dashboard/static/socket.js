// StatsSocket is a client of hasse's statistics WebSocket API (/api/sse/ws). It authenticates as
// Home Assistant's WebSocket API does, with a first {"type":"auth","access_token"} message, so the
// token never goes into a URL; it matches answers to requests by id, hands pushes (sse_stats,
// sse_alert) to onPush, and reconnects with backoff after the connection is lost.
//
// Callbacks: onReady() after auth_ok, onAuth(message, code) when a token is missing or refused (no
// reconnect then), onPush(message), onState('connecting'|'live'|'lost').
export class StatsSocket {
  constructor(url, token, callbacks) {
    this.url = url;
    this.token = token;
    this.cb = callbacks;
    this.nextID = 1;
    this.pending = new Map(); // id → {resolve, reject}
    this.closed = false;
    this.backoff = 1000;
  }

  start() {
    this.cb.onState('connecting');
    const ws = new WebSocket(this.url);
    this.ws = ws;
    let authed = false;
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      switch (msg.type) {
        case 'auth_required':
          if (!this.token) {
            this.stop();
            this.cb.onAuth('', 'UNAUTHORIZED');
            return;
          }
          ws.send(JSON.stringify({ type: 'auth', access_token: this.token }));
          return;
        case 'auth_invalid':
          this.stop();
          this.cb.onAuth(msg.message, msg.error_code);
          return;
        case 'auth_ok':
          authed = true;
          this.backoff = 1000;
          this.cb.onState('live');
          this.cb.onReady();
          return;
        case 'sse_stats':
        case 'sse_alert':
          this.cb.onPush(msg);
          return;
      }
      const p = this.pending.get(msg.id);
      if (p) {
        this.pending.delete(msg.id);
        msg.success ? p.resolve(msg.data) : p.reject(new Error(msg.message || msg.error_code));
      }
    };
    ws.onclose = () => {
      for (const p of this.pending.values()) p.reject(new Error('connection lost'));
      this.pending.clear();
      if (this.closed || this.ws !== ws) return;
      this.cb.onState('lost');
      const wait = authed ? 1000 : this.backoff;
      this.backoff = Math.min(this.backoff * 2, 15000);
      this.retry = setTimeout(() => this.start(), wait);
    };
  }

  // request sends {type, ...fields} and resolves with the answer's data.
  request(type, fields = {}) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error('not connected'));
    }
    const id = this.nextID++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, type, ...fields }));
    });
  }

  stop() {
    this.closed = true;
    clearTimeout(this.retry);
    this.ws?.close();
  }
}
