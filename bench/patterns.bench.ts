/**
 * Cost of compiling a channel name pattern, which is mostly the ReDoS check of its parameters
 * (redos-detector, bounded by steps). It runs once per pattern text: on save, and on the
 * registry's first load in a process; the result, a refusal too, is kept with the pattern.
 *
 *   <node22> --import tsx bench/patterns.bench.ts
 *
 * Each case is compiled SAMPLES times under a new literal prefix (a new text, so no cache hit);
 * the first compilation of the process (cold JIT) is reported on its own. Prints a table only.
 */
import { channelPattern } from '../shared/src/channels/pattern.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 15);

const CASES: [label: string, suffix: string][] = [
	['default parameter (seed)', ':userId'],
	['two default parameters', ':team-:room'],
	['(\\d+)', ':roomId(\\d+)'],
	['([0-9a-f-]{36})', ':id([0-9a-f-]{36})'],
	['((?:\\d+-)+)', ':ids((?:\\d+-)+)'],
	['(\\d+):b(\\d+)', ':a(\\d+):b(\\d+)'],
	['refused: ((?:a+)+)', ':x((?:a+)+)'],
	['refused: ((?:a|a)*)', ':x((?:a|a)*)'],
	['refused: ((?:\\w+\\s?)+)', ':x((?:\\w+\\s?)+)'],
	['refused: ((?:\\d|\\d\\d)+)', ':x((?:\\d|\\d\\d)+)'],
];

let serial = 0;
function compileMs(suffix: string): { ms: number; refused: boolean } {
	const source = `private-b${serial++}-${suffix}`;
	const started = performance.now();
	let refused = false;
	try {
		channelPattern(source);
	} catch {
		refused = true;
	}
	return { ms: performance.now() - started, refused };
}

const cold = compileMs(':first(\\d+)');
console.log(`first compilation in this process (cold): ${cold.ms.toFixed(1)} ms`);
console.log(['case'.padEnd(28), 'verdict'.padEnd(9), 'median ms'.padStart(10), 'max ms'.padStart(8)].join(' '));
for (const [label, suffix] of CASES) {
	const runs = Array.from({ length: SAMPLES }, () => compileMs(suffix));
	const times = runs.map((r) => r.ms).sort((a, b) => a - b);
	const verdict = runs.every((r) => r.refused) ? 'refused' : runs.some((r) => r.refused) ? 'MIXED' : 'accepted';
	console.log([label.padEnd(28), verdict.padEnd(9), times[Math.floor(times.length / 2)]!.toFixed(1).padStart(10), times.at(-1)!.toFixed(1).padStart(8)].join(' '));
}
