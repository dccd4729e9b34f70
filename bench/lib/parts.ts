/**
 * Which parts of `npm run bench` run (BENCH_ONLY, a comma-separated list of PARTS; every part
 * when unset) and whether this is a short smoke run (BENCH_SHORT=1: fewer and shorter rounds,
 * small fan-out sizes; its numbers say that the benches run, not how fast anything is).
 * scripts/bench.mjs reads the same two variables to skip a bench file none of whose parts is asked for.
 */
export const PARTS = ['sandbox', 'event-loop', 'sustained', 'fanout', 'auth', 'history', 'recovery'] as const;
export type BenchPart = (typeof PARTS)[number];

export const SHORT = process.env.BENCH_SHORT === '1';

export function benchParts(value = process.env.BENCH_ONLY): Set<BenchPart> {
	if (value === undefined || value.trim() === '') return new Set(PARTS);
	const asked = value.split(',').map((s) => s.trim()).filter(Boolean);
	const unknown = asked.filter((p) => !(PARTS as readonly string[]).includes(p));
	if (unknown.length) throw new Error(`BENCH_ONLY: unknown part(s) ${unknown.join(', ')}; the parts are ${PARTS.join(', ')}`);
	return new Set(asked as BenchPart[]);
}
