import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { sleep } from './time.js';

/**
 * Where `freePort` looks: from 20000 up to the start of the kernel's ephemeral range (Linux'
 * `ip_local_port_range`, 32768 by default; 49152 elsewhere). Outgoing connections take their local
 * port from that range, so a port found free there (as `listen(0)` finds one) can be taken by any
 * connection of a test running beside it before the Directus or Soketi meant to listen on it has
 * started, or between a stop and a restart on the same port ("Port … is already in use").
 * Below it only other test servers compete, each on a random pick among thousands.
 */
export const PORT_RANGE = { from: 20_000, to: ephemeralStart() };

function ephemeralStart(): number {
	try {
		const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
		if (Number.isInteger(low) && low > 0) return low;
	} catch {
		/* not Linux */
	}
	return 32_768;
}

/** Whether a server can listen on `port` of 127.0.0.1 right now (it is closed again at once). */
function canListen(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const server = createServer();
		server.unref();
		server.once('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}

/** What the kernel gives for `listen(0)`: a port of the ephemeral range. */
function anyPort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

/**
 * A TCP port of 127.0.0.1 that was free a moment ago, for a process started next: a random one
 * below the ephemeral range (see PORT_RANGE), so that no outgoing connection takes it meanwhile.
 */
export async function freePort(): Promise<number> {
	const { from, to } = PORT_RANGE;
	if (to - from >= 1000) {
		for (let i = 0; i < 100; i++) {
			const port = randomInt(from, to);
			if (await canListen(port)) return port;
		}
	}
	return anyPort();
}

/** Thrown by a probe when waiting longer cannot help (the process it waits for has exited). */
export class GiveUp extends Error {}

/**
 * Polls `probe` until it resolves true, or fails after `timeoutMs` with `describe()` in the
 * message. A probe that throws is asked again, unless it threw GiveUp: then waitFor fails at once.
 */
export async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const ready = await probe().catch((error: unknown) => {
			if (error instanceof GiveUp) throw new Error(`${error.message}: ${describe()}`);
			return false;
		});
		if (ready) return;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
		await sleep(100);
	}
}
