// Runs one client example from the seed documents exactly as written there, with only its base
// URL and token substituted (SPEC.md §11). The code is read from the document at run time, so
// nothing here can drift from it.
// The seed tier: cmd/hasse/seeds_e2e_test.go runs it only where the documents are found.
//
//   node run-seed.mjs <seed.md> <heading> <base-url> <token> [--global-eventsource]
//
// <heading> is text of the heading the example's first ```javascript block follows.
// --global-eventsource installs eventsource@4's EventSource as globalThis.EventSource first, as
// a browser has it (Node 20 has none).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [file, heading, baseURL, token, flag] = process.argv.slice(2);
const doc = readFileSync(file, 'utf8');
const at = doc.indexOf(heading);
if (at < 0) throw new Error(`heading ${JSON.stringify(heading)} not in ${file}`);
const block = doc.slice(at).match(/```javascript\n([\s\S]*?)```/);
if (!block) throw new Error(`no javascript block after ${JSON.stringify(heading)}`);

const seedBaseURLs = ['http://localhost:3000', 'http://mcpserver.10.0.0.18.nip.io:3000'];
const seedTokens = ['YOUR_HASS_TOKEN', 'YOUR_TOKEN', 'YOUR_JWT_TOKEN'];
let code = block[1];
for (const u of seedBaseURLs) code = code.replaceAll(u, baseURL);
for (const t of seedTokens) code = code.replaceAll(t, token);

let preamble = '';
if (flag === '--global-eventsource') {
  preamble = "import { EventSource as ES4 } from 'eventsource4';\nglobalThis.EventSource = ES4;\n";
}
const here = dirname(fileURLToPath(import.meta.url));
mkdirSync(join(here, '.run'), { recursive: true });
const out = join(here, '.run', `seed-${process.pid}.mjs`);
writeFileSync(out, preamble + code);
console.log('running', out);
await import(pathToFileURL(out).href);
