/**
 * Waiting in tests: a pause, and a poll until something holds. Tests wait for outcomes, never
 * assert how fast they came; a pause is only for "nothing more arrives" checks and for letting a
 * known interval pass.
 */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves on the event loop's next turn, after pending I/O callbacks. */
export function nextTurn(): Promise<void> {
	return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Calls `probe` every `intervalMs` until `done` holds for its value or `timeoutMs` has passed, and
 * returns the last value: the caller asserts on it, so a time-out fails with the caller's message.
 */
export async function pollUntil<T>(probe: () => T | Promise<T>, done: (value: T) => boolean, { timeoutMs = 10_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (done(value) || Date.now() >= deadline) return value;
		await sleep(intervalMs);
	}
}

/**
 * Waits until the wall clock is at most `marginMs` past a full second, so that what a test does
 * next falls into one one-second window of a per-second bound.
 */
export async function startOfSecond(marginMs: number): Promise<void> {
	while (Date.now() % 1000 > marginMs) await sleep(10);
}
