// watch opens the GatewayStreams a test asks for and reports everything they see, one record per
// callback, the same way in Node (node.mjs) and in Chromium (../browser/clients.mjs).
//
// config: {"url", "token", "streams": [{"name", "token"?, "params"?, "named"?, "backoff"?}]}
// Records: {"kind":"open","stream"}, {"kind":"event","stream","event","lastEventId","data"},
// {"kind":"error","stream","status"}, {"kind":"retry","stream","attempt","delay","lastEventId"},
// {"kind":"give_up","stream","failures"}.
import { GatewayStream } from './gateway-stream.mjs';

/** Returns a function that closes every stream. */
export function watch(config, EventSource, report) {
  const streams = config.streams.map(({ name: stream, token = config.token, params, named, backoff }) =>
    new GatewayStream({
      url: config.url,
      token,
      params,
      named,
      backoff,
      EventSource,
      on: {
        open: () => report({ kind: 'open', stream }),
        event: (event, data, lastEventId) => report({ kind: 'event', stream, event, lastEventId, data }),
        error: (status) => report({ kind: 'error', stream, status }),
        retry: (attempt, delay, lastEventId) => report({ kind: 'retry', stream, attempt, delay, lastEventId }),
        giveUp: (failures) => report({ kind: 'give_up', stream, failures }),
      },
    }));
  return () => streams.forEach((s) => s.close());
}
