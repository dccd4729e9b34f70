import { createServer } from 'node:net';
import { sleep } from './time.js';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
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
