/**
 * Fuzzing of every public endpoint (targets.ts) against one real stack: Directus 12 with the
 * bundle, Soketi, channel rows of every type whose authorizers read `params`, a logged-in user
 * and the admin. Each endpoint gets FUZZ_RUNS (10,000) generated requests, all endpoints at once,
 * each one request at a time, through one keep-alive agent. Every answer must be under 500 and
 * JSON, with a reason when it refuses; afterwards Directus' log must hold no unhandled rejection,
 * uncaught exception, failed endpoint or error line, and its memory, read after a full garbage
 * collection, must be within a bound of where the warm-up left it (RSS_GROWTH_MB).
 *
 * Reproducing: a failure names the endpoint, the seed and fast-check's path; run
 * `FUZZ_SEED=<seed> FUZZ_ONLY='<endpoint>' npm test -- test/fuzz/endpoints.test.ts` (add
 * FUZZ_PATH=<path> to replay the counterexample at once, FUZZ_SHRINK=1 to let fast-check shrink
 * it against the live server, FUZZ_RUNS=<n> for a shorter run). See docs/development.md.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createChannel, createCollection, createUser, login, type TestUser } from '../harness/fixtures.js';
import { ADMIN_TOKEN } from '../harness/directus.js';
import { childPid, cpuTimeMs, residentMemory } from '../harness/memory.js';
import { startStack, type Stack } from '../harness/stack.js';
import type { FuzzWorld } from './arbitraries.js';
import { collectGarbage, inspectorOf, inspectorUrls } from './collect-garbage.js';
import { FuzzClient, type FuzzResponse } from './http.js';
import { TARGETS, type Target } from './targets.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const WARM_UP_RUNS = Math.min(300, RUNS);
/** One seed for the whole run; endpoint i uses SEED + i, so FUZZ_SEED reproduces every endpoint. */
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31 - 1);
const ONLY = process.env.FUZZ_ONLY;
const PATH = process.env.FUZZ_PATH;
const SELECTED = TARGETS.map((target, index) => ({ target, seed: SEED + index })).filter(({ target }) => ONLY === undefined || target.name === ONLY);
/**
 * How much Directus' memory may grow from after the warm-up to after the run, each read after a
 * full garbage collection (through Directus' inspector). The warm-up (WARM_UP_RUNS per endpoint)
 * brings Directus to its working size: JIT code, the authorizer isolates and their compiled
 * scripts, the schema, connection pools. Without the collection, RSS swings by 200 MB and more
 * with V8's garbage (measured: 250 MB after a GC, 670 MB just before it).
 * - The JavaScript heap in use is exact after the collection: measured +0.4 to +0.5 MB over 50,000
 *   requests. A leak of 200 bytes per request in Directus' heap would pass HEAP_GROWTH_MB.
 * - RSS also holds what that collection does not reach: the authorizer pool's four isolates,
 *   whose own heaps V8 lets grow with garbage towards RT_SCRIPT_MAX_MEMORY (32 MB each) before
 *   collecting, and the allocator's fragmentation. Measured +12 to +18 MB over 50,000 requests;
 *   a leak of a kilobyte per request outside the heap would pass RSS_GROWTH_MB.
 */
const HEAP_GROWTH_MB = 10;
const RSS_GROWTH_MB = 48;
/** Lines of Directus' output that no request may cause. */
const CRASH_LINE = /unhandled ?rejection|uncaught ?exception|endpoint failed|triggerUncaughtException|FATAL ERROR|heap out of memory|Unexpected error in error handler/i;

const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const base = { collection: 'rooms', publisher: null, trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false };

/** The rows: every type, authorizers that read params, one that throws, one that answers oddly. */
const ROWS = [
	{ channel_name: 'news-:topic', authorizer: null },
	{ channel_name: 'private-room-:roomId(\\d+)', authorizer: "if (params.roomId.length > 6) throw new Error('room number too long'); return Number(params.roomId) % 2 === 0;" },
	{ channel_name: 'private-chat-:userId', authorizer: 'if (auth.user.id === params.userId) {\n    return true;\n}' },
	{ channel_name: 'private-chat-notification-:userId', authorizer: 'return auth.user.id === params.userId;' },
	{ channel_name: 'private-open-:x', authorizer: "return params.x !== 'closed' ? true : null;", client_events: true },
	{ channel_name: 'private-doc-:docId', authorizer: "return await can('read', 'rooms', params.docId);" },
	{ channel_name: 'presence-room-:roomId', authorizer: 'return { user_id: auth.user.id, user_info: { name: auth.user.first_name, room: params.roomId } };', client_events: true },
	{ channel_name: 'presence-lobby', authorizer: 'return { user_info: { admin: auth.admin } };' },
	{
		channel_name: 'presence-odd-:n',
		authorizer: "const n = params.n; if (n === '1') return 'yes'; if (n === '2') return { user_id: 5 }; if (n === '3') return { user_id: 'x'.repeat(300) }; if (n === '4') return null; return { user_id: n, user_info: params };",
	},
	{ channel_name: 'private-encrypted-vault-:userId', authorizer: 'return auth.user.id === params.userId || auth.admin;' },
];

/** Directus' output, scanned line by line as it arrives (a run writes more than the harness keeps). */
class OutputScanner {
	private partial = '';
	readonly offending: string[] = [];
	/** Lines naming an inspector (Directus' and its supervisor's). */
	readonly inspectors: string[] = [];
	lines = 0;

	feed(chunk: string): void {
		const lines = (this.partial + chunk).split('\n');
		this.partial = lines.pop()!;
		for (const line of lines) {
			this.lines++;
			if (line.includes('Debugger listening')) this.inspectors.push(line);
			else if (CRASH_LINE.test(line) || this.isError(line)) this.offending.push(line.slice(0, 2000));
		}
	}

	/** Directus logs errors it did not expect (its 500s) at level error (50) or above. */
	private isError(line: string): boolean {
		if (!line.startsWith('{')) return false;
		try {
			return Number(JSON.parse(line).level) >= 50;
		} catch {
			return false;
		}
	}
}

/** The bar every answer of every endpoint meets. */
function commonChecks(res: FuzzResponse): any {
	assert.ok(res.status >= 200 && res.status < 500, `answered ${res.status}: ${res.text.slice(0, 500)}`);
	assert.match(String(res.headers['content-type']), /^application\/json/, `not JSON: ${res.text.slice(0, 200)}`);
	const body = JSON.parse(res.text);
	if (res.status >= 400) {
		const error = body?.errors?.[0];
		assert.ok(typeof error?.message === 'string' && error.message.length > 0, `a refusal without a reason: ${res.text.slice(0, 300)}`);
		assert.equal(typeof error.extensions?.code, 'string', `a refusal without a code: ${res.text.slice(0, 300)}`);
	}
	assert.doesNotMatch(res.text, /\bat [^\s]+ \(?[^\s)]+:\d+:\d+\)?|node_modules/, 'a stack trace in the answer');
	return body;
}

function headSize(request: { path: string; headers: Record<string, string> }): number {
	return Buffer.byteLength(request.path) + Object.entries(request.headers).reduce((sum, [k, v]) => sum + k.length + Buffer.byteLength(v) + 4, 0);
}

/** A short, printable account of a request, for failure messages. */
function show(request: { method: string; path: string; headers: Record<string, string>; body?: string | Buffer }): string {
	const body = request.body === undefined ? '(no body)' : typeof request.body === 'string' ? JSON.stringify(request.body.slice(0, 400)) : `<${request.body.length} bytes>`;
	return `${request.method} ${request.path.slice(0, 300)} ${JSON.stringify(request.headers)} ${body}`;
}

describe(`fuzzing the public endpoints (seed ${SEED}, ${RUNS} runs each)`, { timeout: 30 * 60_000 }, () => {
	let stack: Stack;
	let world: FuzzWorld;
	let client: FuzzClient;
	let directusPid: number;
	let inspector: string;
	const output = new OutputScanner();
	let afterWarmUpMb = 0;
	let cpuAfterWarmUp = { ms: 0, requests: 0 };

	before(async () => {
		stack = await startStack({
			encryptionMasterKey: ENCRYPTION_KEY,
			directus: {
				// Warnings and errors only: the default info level writes a line per request.
				// The inspector (on a free port) lets the suite run a full GC before it reads the RSS.
				env: { NODE_OPTIONS: '--no-node-snapshot --inspect=127.0.0.1:0', LOG_LEVEL: 'warn', ACCESS_TOKEN_TTL: '2h', RT_SCRIPT_TIMEOUT: '1000', RT_CHANNELS_CHECK_INTERVAL: '0' },
				onOutput: (chunk) => output.feed(chunk),
			},
		});
		await createCollection(stack.directus, 'rooms', [{ field: 'name', type: 'string' }]);
		for (const row of ROWS) await createChannel(stack.directus, { ...base, ...row });
		const user: TestUser = await createUser(stack.directus, { first_name: 'Fuzz', grants: [{ collection: 'rooms', action: 'read' }] });
		const other = await createUser(stack.directus, { first_name: 'Other' });
		const me = await stack.directus.request('GET', '/users/me?fields=id');
		world = {
			app: { key: stack.soketi.app.key, secret: stack.soketi.app.secret },
			userToken: await login(stack.directus, user),
			userId: user.id,
			adminToken: ADMIN_TOKEN,
			adminId: me.body.data.id,
			otherUserId: other.id,
		};
		directusPid = childPid(stack.directus.process.pid!)!;
		assert.ok(directusPid, 'the Directus process under its supervisor');
		client = new FuzzClient(stack.directus.url, 6);
		inspector = await inspectorOf(inspectorUrls(output.inspectors.join('\n')), 'cli/run.js');
	});

	/** Directus' RSS once what it no longer uses is collected. */
	const heapMb: number[] = [];
	const settledRssMb = async () => {
		heapMb.push(await collectGarbage(inspector));
		return residentMemory(directusPid).rssMb;
	};

	after(async () => {
		client?.close();
		await stack?.stop();
	});

	/** Answers by status, per endpoint: shows how many requests got past the refusals. */
	const statuses = new Map<string, Map<number, number>>();
	const count = (target: Target, status: number) => {
		const byStatus = statuses.get(target.name) ?? new Map<number, number>();
		byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
		statuses.set(target.name, byStatus);
	};

	/** One endpoint's property: every generated request's answer meets the common bar and the endpoint's own. */
	const fuzz = (target: Target, seed: number, numRuns: number, path?: string) =>
		fc.assert(
			fc.asyncProperty(target.input(world), async (input) => {
				const request = target.request(input, world);
				let res: FuzzResponse;
				// Node's HTTP parser refuses a request head past 16 KB itself, before any of Directus
				// runs: it answers 431 and closes at once, so a client still sending a head of tens of
				// KB may see the connection reset instead of the answer.
				const oversizedHead = headSize(request) > 16 * 1024;
				try {
					res = await client.send(request);
				} catch (error) {
					if (oversizedHead && /ECONNRESET|EPIPE|socket hang up/.test(String((error as Error).message))) return count(target, 0);
					throw new Error(`no answer (${(error as Error).message}) to ${show(request)}`);
				}
				count(target, res.status);
				if (res.status === 431 && oversizedHead) return;
				try {
					target.check(input, res, commonChecks(res), world);
				} catch (error) {
					throw new Error(`${(error as Error).message}\n  request: ${show(request)}\n  answer: ${res.status} ${res.text.slice(0, 500)}`);
				}
			}),
			{ seed, numRuns, ...(path ? { path } : {}), endOnFailure: !process.env.FUZZ_SHRINK, includeErrorInReport: true },
		);

	/** RSS every 2 s from the warm-up on, for the report. */
	const rssSeries: number[] = [];
	let sampler: NodeJS.Timeout | undefined;
	after(() => clearInterval(sampler));

	it('warms up: a short run of every endpoint, then notes the memory', async () => {
		sampler = setInterval(() => rssSeries.push(Math.round(residentMemory(directusPid).rssMb)), 2000);
		// Seeds of their own, so the warm-up does not repeat the run's first inputs.
		await Promise.all(SELECTED.map(({ target, seed }) => fuzz(target, seed + 1_000_000, WARM_UP_RUNS)));
		afterWarmUpMb = await settledRssMb();
		cpuAfterWarmUp = { ms: cpuTimeMs(directusPid), requests: client.sent };
	});

	describe(`${RUNS} generated requests per endpoint`, { concurrency: true, timeout: 25 * 60_000 }, () => {
		for (const { target, seed } of SELECTED) {
			// Six endpoints fuzzed at once share one Directus: on a busy 2-core machine that takes
			// longer than the runner's default time-out for one test.
			it(`${target.name} (seed ${seed})`, { timeout: 20 * 60_000 }, async (t) => {
				const started = Date.now();
				const sentBefore = client.sent;
				t.diagnostic(`seed ${seed}: FUZZ_SEED=${SEED} FUZZ_ONLY='${target.name}'`);
				statuses.delete(target.name);
				await fuzz(target, seed, RUNS, PATH);
				const byStatus = [...(statuses.get(target.name) ?? new Map<number, number>())].sort(([a], [b]) => a - b);
				t.diagnostic(`answers: ${byStatus.map(([status, n]) => `${status || 'reset (head past 16 KB)'}: ${n}`).join(', ')}`);
				t.diagnostic(`${RUNS} runs in ${((Date.now() - started) / 1000).toFixed(1)} s (${client.sent - sentBefore} requests of all endpoints meanwhile)`);
			});
		}
	});

	it("leaves no unhandled rejection, uncaught exception or failed endpoint in Directus' log", () => {
		assert.ok(stack.directus.process.isRunning(), 'Directus is still running');
		assert.deepEqual(output.offending.slice(0, 20), [], `seed ${SEED}: ${output.offending.length} offending line(s) in ${output.lines}`);
	});

	it('keeps Directus\' memory flat', async (t) => {
		const before = residentMemory(directusPid).rssMb;
		const rssMb = await settledRssMb();
		const { peakMb } = residentMemory(directusPid);
		t.diagnostic(`RSS at the end of the run ${before.toFixed(1)} MB, after a full GC ${rssMb.toFixed(1)} MB`);
		t.diagnostic(`JavaScript heap in use after a full GC: ${heapMb.map((mb) => mb.toFixed(1)).join(' MB after warm-up, ')} MB after the run`);
		const requests = client.sent - cpuAfterWarmUp.requests;
		t.diagnostic(`Directus used ${((cpuTimeMs(directusPid) - cpuAfterWarmUp.ms) / 1000).toFixed(1)} s of CPU for ${requests} requests`);
		clearInterval(sampler);
		t.diagnostic(`RSS every 2 s: ${rssSeries.join(' ')}`);
		t.diagnostic(`RSS after warm-up ${afterWarmUpMb.toFixed(1)} MB, after the run ${rssMb.toFixed(1)} MB (peak ${peakMb.toFixed(1)} MB), ${client.sent} requests, ${client.retried} retried on a new connection`);
		assert.ok(heapMb[1]! - heapMb[0]! <= HEAP_GROWTH_MB, `seed ${SEED}: the JavaScript heap grew ${(heapMb[1]! - heapMb[0]!).toFixed(1)} MB (bound ${HEAP_GROWTH_MB} MB)`);
		assert.ok(rssMb - afterWarmUpMb <= RSS_GROWTH_MB, `seed ${SEED}: RSS grew ${(rssMb - afterWarmUpMb).toFixed(1)} MB (bound ${RSS_GROWTH_MB} MB)`);
	});
});
