/**
 * POST /realtime/auth for two rows, a private channel row whose authorizer compares auth.user.id
 * to the pattern's parameter (scripted) and a row in permission mode (`authorize: permissions`,
 * no authorizer: Directus' read permissions on the item named by `:id` decide), next to
 * Directus' own GET /users/me, same user token, same concurrency, in short rounds taken in turns
 * (A B C C B A ...) so a slower spell of the machine hits all three alike.
 * Directus' CPU time per request is read too: it does not depend on what else the machine runs.
 */
import { closedLoop, type LoopResult } from './http.js';
import { childPid, cpuTimeMs } from '../../test/harness/memory.js';
import { CHANNELS, type BenchSetup } from './setup.js';
import { percentile, round } from './stats.js';

export interface EndpointResult {
	endpoint: string;
	requests: number;
	failed: number;
	firstError?: string;
	requestsPerSecond: number;
	latencyMs: { p50: number; p99: number };
	/** Directus process CPU time (all threads) per successful request. */
	cpuMsPerRequest: number;
	/** The rounds' spans on the monotonic clock, µs (for splitting a CPU profile). */
	windowsUs: Array<[number, number]>;
}

export interface AuthOptions {
	concurrency: number;
	rounds: number;
	roundMs: number;
	warmupMs: number;
	log: (line: string) => void;
}

export interface AuthResult {
	concurrency: number;
	/** POST /realtime/auth, the scripted authorizer's row. */
	auth: EndpointResult;
	/** POST /realtime/auth, the permission-mode row (absent in results of older runs). */
	permissions?: EndpointResult;
	usersMe: EndpointResult;
	/** auth / usersMe, requests per second. */
	ratio: number;
	/** permissions / usersMe and permissions / auth (scripted), requests per second. */
	permissionsRatio?: { usersMe: number; scripted: number };
}

export async function runAuthThroughput(setup: BenchSetup, options: AuthOptions): Promise<AuthResult> {
	const { http, user } = setup;
	const authorization = `Bearer ${user.token}`;
	const channelAuth = (channel: string) => {
		const form = new URLSearchParams({ socket_id: '1234.5678', channel_name: channel }).toString();
		return async () => {
			const res = await http.send({ method: 'POST', path: '/realtime/auth', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body: form });
			return res.status === 200 && res.body.includes('"auth"') ? true : `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
		};
	};

	const endpoints = {
		auth: { name: 'POST /realtime/auth (scripted authorizer)', once: channelAuth(CHANNELS.user.replace(':userId', user.id)) },
		permissions: { name: 'POST /realtime/auth (permission mode)', once: channelAuth(CHANNELS.item.replace(':id', setup.itemId)) },
		usersMe: {
			name: 'GET /users/me',
			once: async () => {
				const res = await http.send({ method: 'GET', path: '/users/me', headers: { authorization } });
				return res.status === 200 && res.body.includes(user.id) ? true : `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
			},
		},
	};
	type Key = keyof typeof endpoints;

	const keys: Key[] = ['auth', 'permissions', 'usersMe'];
	for (const key of keys) await closedLoop(options.concurrency, options.warmupMs, endpoints[key].once);

	const supervisor = setup.stack.directus.process.pid;
	const pid = supervisor === undefined ? undefined : childPid(supervisor);
	if (pid === undefined) throw new Error('cannot find the Directus process');
	const runs: Record<Key, LoopResult[]> = { auth: [], permissions: [], usersMe: [] };
	const cpu: Record<Key, number> = { auth: 0, permissions: 0, usersMe: 0 };
	// Each round's span on the monotonic clock (µs), which is the clock of a V8 CPU profile of
	// Directus too: bench/lib/profile-summary.ts splits a profile by endpoint with them.
	const windows: Record<Key, Array<[number, number]>> = { auth: [], permissions: [], usersMe: [] };
	const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
	for (let r = 0; r < options.rounds; r++) {
		const order: Key[] = r % 2 === 0 ? keys : [...keys].reverse();
		for (const key of order) {
			const before = cpuTimeMs(pid);
			const from = monotonicUs();
			runs[key].push(await closedLoop(options.concurrency, options.roundMs, endpoints[key].once));
			windows[key].push([from, monotonicUs()]);
			cpu[key] += cpuTimeMs(pid) - before;
		}
	}

	const total = (key: Key): EndpointResult => {
		const list = runs[key];
		const latencies = list.flatMap((r) => r.latencies);
		const ok = list.reduce((s, r) => s + r.ok, 0);
		const elapsed = list.reduce((s, r) => s + r.elapsedMs, 0);
		const firstError = list.find((r) => r.firstError)?.firstError;
		return {
			endpoint: endpoints[key].name,
			requests: ok,
			failed: list.reduce((s, r) => s + r.failed, 0),
			...(firstError ? { firstError } : {}),
			requestsPerSecond: round(ok / (elapsed / 1000), 1),
			latencyMs: { p50: round(percentile(latencies, 0.5)), p99: round(percentile(latencies, 0.99)) },
			cpuMsPerRequest: round(cpu[key] / Math.max(1, ok)),
			windowsUs: windows[key],
		};
	};
	const auth = total('auth');
	const permissions = total('permissions');
	const usersMe = total('usersMe');
	const ratio = round(auth.requestsPerSecond / usersMe.requestsPerSecond);
	const permissionsRatio = { usersMe: round(permissions.requestsPerSecond / usersMe.requestsPerSecond), scripted: round(permissions.requestsPerSecond / auth.requestsPerSecond) };
	const line = (e: EndpointResult) => `${e.requestsPerSecond}/s p99 ${e.latencyMs.p99} ms, ${e.cpuMsPerRequest} ms CPU`;
	options.log(
		`auth, scripted: ${line(auth)}; auth, permission mode: ${line(permissions)}; /users/me: ${line(usersMe)}; ` +
			`ratios to /users/me: scripted ${ratio}, permission mode ${permissionsRatio.usersMe} (permission mode / scripted ${permissionsRatio.scripted})`,
	);
	return { concurrency: options.concurrency, auth, permissions, usersMe, ratio, permissionsRatio };
}
