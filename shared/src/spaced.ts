/** A warning that says itself at most once per `everyMs` (10 s), counting the ones it left out. */
export function spaced(warn: (message: string) => void, everyMs = 10_000, now: () => number = Date.now): (message: string) => void {
	let lastAt = Number.NEGATIVE_INFINITY;
	let skipped = 0;
	return (message) => {
		const at = now();
		if (at - lastAt < everyMs) {
			skipped++;
			return;
		}
		lastAt = at;
		warn(skipped > 0 ? `${message} (${skipped} similar warning(s) skipped)` : message);
		skipped = 0;
	};
}
