// For the harness's own test: starts a Soketi, prints its port, then waits to be killed.
import { startSoketi } from './soketi.js';

const soketi = await startSoketi();
process.stdout.write(`${soketi.port}\n`);
setInterval(() => {}, 1000);
