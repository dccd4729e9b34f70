/**
 * Where Directus spent its CPU under the authorization benchmark: reads a V8 .cpuprofile of the
 * Directus process (NODE_OPTIONS=--cpu-prof, see docs/benchmarks.md) and the windows the bench
 * recorded for each endpoint's rounds (bench/results/realtime.json, `auth.*.windowsUs`, on the
 * same monotonic clock), and sums the samples inside each endpoint's windows by self time, per
 * module (npm package, the extension bundle, node internals, GC) and per function, per request.
 * The difference between the two endpoints is what /realtime/auth costs beyond GET /users/me.
 *
 *   BENCH_PROFILE=1 npm run bench                      (profiles, summarizes, reports)
 *   <node22> --import tsx bench/lib/profile-summary.ts <dir-or-file.cpuprofile> [--top 15]
 *
 * With a directory, takes its largest profile (the Directus server; the smaller one is the
 * supervisor). Prints the tables and writes bench/results/profile-auth.json for bench/report.ts.
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
	/** Self time per request, µs, for each endpoint, and their difference (auth - usersMe). */
	authUs: number;
	usersMeUs: number;
	diffUs: number;
}

export interface ProfileSummary {
	/** The bench run the profile belongs to (realtime.json's date). */
	date?: string;
	profile: string;
	requests: { auth: number; usersMe: number };
	/** Sampled CPU time of the main thread per request, µs. */
	sampledUs: { auth: number; usersMe: number };
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
		const authUs = (a.get(name) ?? 0) / perA;
		const usersMeUs = (b.get(name) ?? 0) / perB;
		return { name, authUs: Math.round(authUs), usersMeUs: Math.round(usersMeUs), diffUs: Math.round(authUs - usersMeUs) };
	});
	// The largest either way: where auth costs more, and where it costs as much as /users/me.
	return out.sort((x, y) => Math.max(y.authUs, Math.abs(y.diffUs)) - Math.max(x.authUs, Math.abs(x.diffUs))).slice(0, top);
}

export function summarizeProfile(file: string, results: any, top = 15): ProfileSummary {
	const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
	const auth = results.auth;
	if (!auth?.auth?.windowsUs || !auth?.usersMe?.windowsUs) throw new Error('realtime.json has no auth windows: run the auth part of the bench with this profile');
	const requests = { auth: auth.auth.requests as number, usersMe: auth.usersMe.requests as number };
	const byModule = { a: selfTimes(profile, auth.auth.windowsUs, moduleOf), b: selfTimes(profile, auth.usersMe.windowsUs, moduleOf) };
	const byFunction = { a: selfTimes(profile, auth.auth.windowsUs, frameName), b: selfTimes(profile, auth.usersMe.windowsUs, frameName) };
	if (byModule.a.total === 0) throw new Error(`${file} has no samples inside the auth windows: is it the profile of this run's Directus?`);
	return {
		date: results.date,
		profile: basename(file),
		requests,
		sampledUs: { auth: Math.round(byModule.a.total / requests.auth), usersMe: Math.round(byModule.b.total / requests.usersMe) },
		modules: rows(byModule.a.by, byModule.b.by, requests.auth, requests.usersMe, top),
		functions: rows(byFunction.a.by, byFunction.b.by, requests.auth, requests.usersMe, top),
	};
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
	const summary = summarizeProfile(largestProfile(target), results, top);
	const print = (title: string, list: ProfileRow[]) => {
		console.log(`\n${title} (self time per request, µs: /realtime/auth, /users/me, difference)`);
		for (const r of list) console.log(`  ${String(r.authUs).padStart(6)} ${String(r.usersMeUs).padStart(6)} ${String(r.diffUs).padStart(6)}  ${r.name}`);
	};
	console.log(`${summary.profile}: ${summary.requests.auth} auth and ${summary.requests.usersMe} /users/me requests; sampled main-thread CPU per request ${summary.sampledUs.auth} vs ${summary.sampledUs.usersMe} µs`);
	print('By module', summary.modules);
	print('By function', summary.functions);
	writeFileSync(join(ROOT, 'bench', 'results', 'profile-auth.json'), `${JSON.stringify(summary, null, 2)}\n`);
	console.log('\nwritten bench/results/profile-auth.json');
}
