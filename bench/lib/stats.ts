/** Order statistics for latency samples (nearest-rank percentiles, as load tools report them). */

/** The p-th percentile (0 < p <= 1) of `values` by nearest rank; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
	return sorted[rank - 1]!;
}

export function median(values: readonly number[]): number {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Spread {
	first: number;
	median: number;
	p99: number;
	last: number;
}

/** Arrival times of one event at every subscriber that got it, summarised. */
export function spread(times: readonly number[]): Spread {
	const sorted = [...times].sort((a, b) => a - b);
	return { first: sorted[0] ?? Number.NaN, median: median(sorted), p99: percentile(sorted, 0.99), last: sorted[sorted.length - 1] ?? Number.NaN };
}

/** Rounds for JSON output: 0.001 ms resolution is more than a loopback benchmark can tell. */
export function round(value: number, digits = 3): number {
	const f = 10 ** digits;
	return Number.isFinite(value) ? Math.round(value * f) / f : value;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
