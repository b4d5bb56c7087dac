// Runs watch.mjs's streams in Node 20 with one of the pinned `eventsource` packages, for the
// tests of cmd/hasse/clients_e2e_test.go.
//
//   node clients/node.mjs <eventsource@2|eventsource@4> <config-json>
//
// eventsource@2 is used through its default export, eventsource@4 through its named one. Prints
// each record as one JSON line; runs until stdin closes or SIGTERM comes.
import EventSource2 from 'eventsource';
import { EventSource as EventSource4 } from 'eventsource4';
import { watch } from './watch.mjs';

const implementations = { 'eventsource@2': EventSource2, 'eventsource@4': EventSource4 };
const [which, configJSON] = process.argv.slice(2);
const EventSource = implementations[which];
if (!EventSource || !configJSON) throw new Error('usage: node.mjs <eventsource@2|eventsource@4> <config-json>');

const out = (rec) => process.stdout.write(JSON.stringify(rec) + '\n'); // synchronous on a pipe
const stop = watch(JSON.parse(configJSON), EventSource, out);
const finish = () => {
  stop();
  process.exit(0);
};
process.stdin.on('end', finish).resume();
process.on('SIGTERM', finish);
process.stdout.on('error', finish); // the reader went away
