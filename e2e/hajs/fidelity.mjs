// Proof of fidelity (SPEC.md §3): Home Assistant's own client library, home-assistant-js-websocket,
// talks to the simulator as it would to Home Assistant. It connects with a long-lived token,
// reads the states, subscribes to entities and to events, and calls a service that changes a
// light; it must see the change both ways. One JSON line per observation goes to stdout.
//
//   node fidelity.mjs <simulator base URL> <token> <light entity id>
import WebSocket from 'ws';
import {
  createConnection, createLongLivedTokenAuth, getStates, getServices, getConfig,
  subscribeEntities, callService,
} from 'home-assistant-js-websocket';

globalThis.WebSocket = WebSocket; // Node 20 has none; the library expects the browser's

const [base, token, light] = process.argv.slice(2);
const say = (what, data) => console.log(JSON.stringify({ what, ...data }));
const fail = (err) => { say('error', { message: String(err?.message ?? err) }); process.exit(1); };
setTimeout(() => fail('timed out'), 20000).unref();

const conn = await createConnection({ auth: createLongLivedTokenAuth(base, token) });
say('connected', { haVersion: conn.haVersion });

const states = await getStates(conn);
say('states', { count: states.length, light: states.find((s) => s.entity_id === light)?.state });
const config = await getConfig(conn);
say('config', { version: config.version, unitTemp: config.unit_system?.temperature });
const services = await getServices(conn);
say('services', { lightTurnOn: Boolean(services.light?.turn_on) });

let entitiesSeen = 0;
const onLight = new Promise((resolve) => {
  subscribeEntities(conn, (entities) => {
    entitiesSeen++;
    const st = entities[light];
    if (entitiesSeen === 1) say('entities', { count: Object.keys(entities).length, light: st?.state });
    if (st?.state === 'on' && st.attributes.brightness === 200) resolve(st);
  });
});
const onEvent = new Promise((resolve) => {
  conn.subscribeEvents((ev) => {
    if (ev.data.entity_id === light && ev.data.new_state?.state === 'on') resolve(ev);
  }, 'state_changed');
});
const serviceEvent = new Promise((resolve) => {
  conn.subscribeEvents((ev) => {
    if (ev.data.domain === 'light' && ev.data.service === 'turn_on') resolve(ev);
  }, 'call_service');
});

// Turn the light off first, so that turning it on is a change.
await callService(conn, 'light', 'turn_off', undefined, { entity_id: light });
const result = await callService(conn, 'light', 'turn_on', { brightness: 200 }, { entity_id: light });
say('called', { contextId: result?.context?.id ?? null });

const [entity, event, call] = await Promise.all([onLight, onEvent, serviceEvent]);
say('entity', { state: entity.state, brightness: entity.attributes.brightness, contextId: entity.context.id });
say('event', { state: event.data.new_state.state, contextId: event.context.id, callContextId: call.context.id });
conn.close();
say('done', {});
process.exit(0);
