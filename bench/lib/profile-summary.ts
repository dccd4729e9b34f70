/**
 * Where Directus spent its CPU: reads a V8 .cpuprofile of the Directus process
 * (NODE_OPTIONS=--cpu-prof, see docs/benchmarks.md) and the windows the bench recorded on the
 * same monotonic clock (bench/results/realtime.json: the auth rounds of each endpoint, the
 * sustained slices with and without a publishing row), and sums the samples inside each side's
 * windows by self time, per module (npm package, the extension bundle, node internals, GC) and
 * per function, per request. The difference is what /realtime/auth costs beyond GET /users/me,
 * and what a publishing row adds to a write.
 *
 *   BENCH_PROFILE=1 npm run bench                      (profiles, summarizes, reports)
 *   <node22> --import tsx bench/lib/profile-summary.ts <dir-or-file.cpuprofile> [--top 15]
 *
 * With a directory, takes its largest profile (the Directus server; the smaller one is the
 * supervisor). Prints the tables and writes bench/results/profile.json for bench/report.ts.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ROOT } from '../../test/harness/paths.js';

interface CallFrame {
	functionName: string;
	url: string;
	lineNumber: number;
}
interface ProfileNode {
	id: number;
	callFrame: CallFrame;
	children?: number[];
}
interface CpuProfile {
	nodes: ProfileNode[];
	startTime: number;
	endTime: number;
	samples: number[];
	timeDeltas: number[];
}

export interface ProfileRow {
	name: string;
	/** Self time per request, µs, on each side, and their difference (a - b). */
	aUs: number;
	bUs: number;
	diffUs: number;
}

/** One side of a comparison: the windows it ran in and the requests it served. */
export interface ProfileSide {
	label: string;
	windowsUs: Array<[number, number]>;
	requests: number;
}

export interface ProfileSummary {
	/** The bench run the profile belongs to (realtime.json's date). */
	date?: string;
	profile: string;
	labels: { a: string; b: string };
	requests: { a: number; b: number };
	/** Sampled CPU time of the main thread per request, µs. */
	sampledUs: { a: number; b: number };
	modules: ProfileRow[];
	functions: ProfileRow[];
}

/** Which module a frame belongs to: an npm package, the extension bundle, node internals... */
export function moduleOf(frame: CallFrame): string {
	const { url, functionName } = frame;
	if (!url) return functionName.startsWith('(') ? functionName : '(native)';
	if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
	const path = url.replace(/^file:\/\//, '');
	const at = path.lastIndexOf('/node_modules/');
	if (at >= 0) {
		const parts = path.slice(at + 14).split('/');
		return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
	}
	if (/\/dist\/api\.js(\?.*)?$/.test(path)) return 'realtime extension (dist/api.js)';
	return basename(path);
}

const frameName = (frame: CallFrame) => `${frame.functionName || '(anonymous)'} ${moduleOf(frame)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;

/** Self time (µs) per key within the windows; also the total. */
function selfTimes(profile: CpuProfile, windows: Array<[number, number]>, key: (frame: CallFrame) => string): { total: number; by: Map<string, number> } {
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const by = new Map<string, number>();
	let total = 0;
	let t = profile.startTime;
	for (let i = 0; i < profile.samples.length; i++) {
		t += profile.timeDeltas[i]!;
		const duration = profile.timeDeltas[i + 1] ?? 0;
		if (!windows.some(([from, to]) => t >= from && t < to)) continue;
		const frame = byId.get(profile.samples[i]!)!.callFrame;
		if (frame.functionName === '(idle)') continue;
		total += duration;
		const k = key(frame);
		by.set(k, (by.get(k) ?? 0) + duration);
	}
	return { total, by };
}

function rows(a: Map<string, number>, b: Map<string, number>, perA: number, perB: number, top: number): ProfileRow[] {
	const names = new Set([...a.keys(), ...b.keys()]);
	const out = [...names].map((name) => {
		const aUs = (a.get(name) ?? 0) / perA;
		const bUs = (b.get(name) ?? 0) / perB;
		return { name, aUs: Math.round(aUs), bUs: Math.round(bUs), diffUs: Math.round(aUs - bUs) };
	});
	// The largest either way: where side a costs more, and where it costs as much as side b.
	return out.sort((x, y) => Math.max(y.aUs, Math.abs(y.diffUs)) - Math.max(x.aUs, Math.abs(x.diffUs))).slice(0, top);
}

/** Self time per request of side a against side b, per module and per function. */
export function summarizeProfile(file: string, a: ProfileSide, b: ProfileSide, top = 15): ProfileSummary {
	const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
	const byModule = { a: selfTimes(profile, a.windowsUs, moduleOf), b: selfTimes(profile, b.windowsUs, moduleOf) };
	const byFunction = { a: selfTimes(profile, a.windowsUs, frameName), b: selfTimes(profile, b.windowsUs, frameName) };
	if (byModule.a.total === 0) throw new Error(`${file} has no samples inside the windows of ${a.label}: is it the profile of this run's Directus?`);
	const perA = Math.max(1, a.requests);
	const perB = Math.max(1, b.requests);
	return {
		profile: basename(file),
		labels: { a: a.label, b: b.label },
		requests: { a: a.requests, b: b.requests },
		sampledUs: { a: Math.round(byModule.a.total / perA), b: Math.round(byModule.b.total / perB) },
		modules: rows(byModule.a.by, byModule.b.by, perA, perB, top),
		functions: rows(byFunction.a.by, byFunction.b.by, perA, perB, top),
	};
}

/** The comparisons a realtime.json holds windows for: auth against /users/me, writes on against off. */
export function profileComparisons(results: any): Array<{ name: string; a: ProfileSide; b: ProfileSide }> {
	const out: Array<{ name: string; a: ProfileSide; b: ProfileSide }> = [];
	const auth = results.auth;
	if (auth?.auth?.windowsUs && auth?.usersMe?.windowsUs) {
		out.push({
			name: 'auth',
			a: { label: 'POST /realtime/auth', windowsUs: auth.auth.windowsUs, requests: auth.auth.requests },
			b: { label: 'GET /users/me', windowsUs: auth.usersMe.windowsUs, requests: auth.usersMe.requests },
		});
	}
	if (auth?.permissions?.windowsUs && auth?.usersMe?.windowsUs) {
		out.push({
			name: 'auth-permissions',
			a: { label: 'POST /realtime/auth, permission mode', windowsUs: auth.permissions.windowsUs, requests: auth.permissions.requests },
			b: { label: 'GET /users/me', windowsUs: auth.usersMe.windowsUs, requests: auth.usersMe.requests },
		});
	}
	const on = results.sustained?.find((r: any) => r.variant === 'on');
	const off = results.sustained?.find((r: any) => r.variant === 'off');
	if (on?.windowsUs && off?.windowsUs) {
		out.push({
			name: 'writes',
			a: { label: 'write, publishing row', windowsUs: on.windowsUs, requests: on.writes },
			b: { label: 'write, no row', windowsUs: off.windowsUs, requests: off.writes },
		});
	}
	return out;
}

export function largestProfile(path: string): string {
	if (!statSync(path).isDirectory()) return path;
	const files = readdirSync(path).filter((f) => f.endsWith('.cpuprofile'));
	if (files.length === 0) throw new Error(`no .cpuprofile in ${path}`);
	return join(path, files.sort((x, y) => statSync(join(path, y)).size - statSync(join(path, x)).size)[0]!);
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
	const [target, ...rest] = process.argv.slice(2);
	if (!target) {
		console.error('usage: profile-summary.ts <dir-or-file.cpuprofile> [--top N]');
		process.exit(2);
	}
	const top = rest[0] === '--top' ? Number(rest[1]) : 15;
	const results = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'realtime.json'), 'utf8'));
	const file = largestProfile(target);
	const summaries = profileComparisons(results).map(({ a, b }) => ({ date: results.date, ...summarizeProfile(file, a, b, top) }));
	for (const summary of summaries) {
		const print = (title: string, list: ProfileRow[]) => {
			console.log(`\n${title} (self time per request, µs: ${summary.labels.a}, ${summary.labels.b}, difference)`);
			for (const r of list) console.log(`  ${String(r.aUs).padStart(6)} ${String(r.bUs).padStart(6)} ${String(r.diffUs).padStart(6)}  ${r.name}`);
		};
		console.log(`\n== ${summary.profile}: ${summary.requests.a} ${summary.labels.a} and ${summary.requests.b} ${summary.labels.b}; sampled main-thread CPU per request ${summary.sampledUs.a} vs ${summary.sampledUs.b} µs`);
		print('By module', summary.modules);
		print('By function', summary.functions);
	}
	writeFileSync(join(ROOT, 'bench', 'results', 'profile.json'), `${JSON.stringify(summaries, null, 2)}\n`);
	console.log('\nwritten bench/results/profile.json');
}
