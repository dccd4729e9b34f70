/**
 * The stack every realtime benchmark runs on: two Soketi nodes joined by Redis (the scale-out
 * set-up of test/services/, on the machine's Node 20 when the launcher says which, so their
 * native uWebSockets server is used) and one Directus 12 with the built extensions, publishing
 * to the first node, native realtime on, and no limiter or request logging in the way.
 * Redis: BENCH_REDIS_URL (default redis://127.0.0.1:6379), a database of its own.
 */
import { mkdtempSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChannel, createCollection, createItem, createUser, type TestUser } from '../../test/harness/fixtures.js';
import { startSoketi, type Soketi } from '../../test/harness/soketi.js';
import { startStack, type Stack } from '../../test/harness/stack.js';
import { HttpClient } from './http.js';

export const COLLECTIONS = {
	fanout: 'bench_fanout',
	loadOff: 'bench_load_off',
	loadOn: 'bench_load_on',
	// The write-cost breakdown (BENCH_BREAKDOWN=1): the load row without its script, and with a
	// script that sends nothing.
	loadNoScript: 'bench_load_noscript',
	loadNoSend: 'bench_load_nosend',
} as const;
export const CHANNELS = {
	fanout: 'private-bench-fanout',
	load: 'private-bench-load',
	loadNoScript: 'private-bench-load-noscript',
	loadNoSend: 'private-bench-load-nosend',
	user: 'private-bench-user-:userId',
	item: 'private-bench_fanout.:id',
} as const;
/** The publisher of the fan-out and load channel rows: the item as read with fields ["*"]. */
export const PUBLISHER = "trigger({}, 'created', meta.payload);";
/** The load row's script with its send never taken: the read and the sandbox run, no event. */
export const SILENT_PUBLISHER = "if (meta.payload === null) trigger({}, 'created', meta.payload);";
export const USER_AUTHORIZER = 'return auth.user.id === params.userId;';

/** Where Directus writes its CPU profile when BENCH_PROFILE=1 (a fresh directory per run). */
export const PROFILE_DIR = process.env.BENCH_PROFILE === '1' ? mkdtempSync(join(tmpdir(), 'rt-bench-prof-')) : undefined;

export const DIRECTUS_ENV: Record<string, string> = {
	WEBSOCKETS_ENABLED: 'true',
	PRESSURE_LIMITER_ENABLED: 'false',
	RATE_LIMITER_ENABLED: 'false',
	// Request logging costs as much as some of what is measured.
	LOG_LEVEL: 'warn',
	...(PROFILE_DIR ? { NODE_OPTIONS: `--no-node-snapshot --cpu-prof --cpu-prof-dir=${PROFILE_DIR}` } : {}),
	// More for experiments, e.g. BENCH_DIRECTUS_ENV='{"CACHE_SCHEMA_FREEZE_ENABLED":"true"}'.
	...extraEnv(),
};

function extraEnv(): Record<string, string> {
	const text = process.env.BENCH_DIRECTUS_ENV;
	if (!text) return {};
	const parsed: unknown = JSON.parse(text);
	if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
		throw new Error('BENCH_DIRECTUS_ENV must be a JSON object of strings');
	}
	return parsed as Record<string, string>;
}

export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface BenchSetup {
	/** Directus and the first Soketi node (the one Directus and the raw trigger publish to). */
	stack: Stack;
	/** Both Soketi nodes, the first being stack.soketi. */
	nodes: Soketi[];
	/** Keep-alive client to Directus for the measured requests. */
	http: HttpClient;
	/** A non-admin, API-only user: reads and creates the bench collections, reads users. */
	user: TestUser;
	/** Channel row ids by CHANNELS key. */
	rows: { fanout: string; load: string; user: string; item: string };
	/** The bench_fanout item the permission-mode row (CHANNELS.item) is asked about. */
	itemId: string;
}

/** SOKETI_* variables of a node of the cluster: Redis adapter, a prefix of this run's own. */
function clusterEnv(): Record<string, string> {
	const redis = new URL(REDIS_URL);
	return {
		SOKETI_ADAPTER_DRIVER: 'redis',
		SOKETI_DB_REDIS_HOST: redis.hostname,
		SOKETI_DB_REDIS_PORT: redis.port || '6379',
		SOKETI_DB_REDIS_DB: '7',
		SOKETI_ADAPTER_REDIS_PREFIX: `rt-bench-${process.pid}`,
	};
}

async function assertRedis(): Promise<void> {
	const redis = new URL(REDIS_URL);
	await new Promise<void>((resolve, reject) => {
		const socket = createConnection({ host: redis.hostname, port: Number(redis.port || 6379) }, () => {
			socket.end();
			resolve();
		});
		socket.on('error', (error) => reject(new Error(`the two-node Soketi cluster needs Redis at ${REDIS_URL} (BENCH_REDIS_URL): ${error.message}`)));
	});
}

/** `breakdown`: also the rows of the write-cost breakdown (BENCH_BREAKDOWN=1); only then, so the other parts see the same channel table as ever. */
export async function setUp(maxSockets: number, options: { breakdown?: boolean } = {}): Promise<BenchSetup> {
	await assertRedis();
	const env = clusterEnv();
	const stack = await startStack({ directus: { env: DIRECTUS_ENV }, soketi: { env } });
	const nodes: Soketi[] = [stack.soketi];
	try {
		nodes.push(await startSoketi({ env }));
		const d = stack.directus;
		// The breakdown's collections only when asked for: every collection makes Directus' schema, copied per request, bigger.
		const collections = Object.values(COLLECTIONS).filter((c) => options.breakdown || (c !== COLLECTIONS.loadNoScript && c !== COLLECTIONS.loadNoSend));
		for (const collection of collections) await createCollection(d, collection, [{ field: 'title', type: 'string' }]);
		const user = await createUser(d, {
			first_name: 'Bench',
			grants: [
				...collections.flatMap((collection) => [
					{ collection, action: 'read' as const },
					{ collection, action: 'create' as const },
				]),
				// So that GET /users/me reads the row, as /realtime/auth does, rather than answering just the id.
				{ collection: 'directus_users', action: 'read' },
			],
		});
		const common = { fields: ['*'], trigger_on_create: true, trigger_on_update: false, trigger_on_delete: false };
		const fanout = await createChannel(d, { ...common, channel_name: CHANNELS.fanout, collection: COLLECTIONS.fanout, publisher: PUBLISHER, authorizer: 'return true;' });
		const load = await createChannel(d, { ...common, channel_name: CHANNELS.load, collection: COLLECTIONS.loadOn, publisher: PUBLISHER, authorizer: 'return true;' });
		if (options.breakdown) {
			// Default publishing (permission mode, no script): the same item to the same kind of channel.
			await createChannel(d, { ...common, channel_name: CHANNELS.loadNoScript, collection: COLLECTIONS.loadNoScript, authorize: 'permissions', authorizer: null, publisher: null });
			await createChannel(d, { ...common, channel_name: CHANNELS.loadNoSend, collection: COLLECTIONS.loadNoSend, publisher: SILENT_PUBLISHER, authorizer: 'return true;' });
		}
		const userRow = await createChannel(d, {
			channel_name: CHANNELS.user,
			collection: COLLECTIONS.fanout,
			authorizer: USER_AUTHORIZER,
			publisher: null,
			trigger_on_create: false,
			trigger_on_update: false,
			trigger_on_delete: false,
		});
		// Permission mode (docs/recipes.md, recipe 6): no script; Directus decides whether the
		// caller may read the item named by :id and the fields the row sends.
		const itemRow = await createChannel(d, {
			channel_name: CHANNELS.item,
			collection: COLLECTIONS.fanout,
			fields: ['id', 'title'],
			authorize: 'permissions',
			authorizer: null,
			publisher: null,
			trigger_on_create: false,
			trigger_on_update: false,
			trigger_on_delete: false,
		});
		const item = await createItem<{ id: number | string }>(d, COLLECTIONS.fanout, { title: 'asked about by the permission-mode authorization' });
		const stop = stack.stop;
		stack.stop = async () => {
			await Promise.allSettled([stop(), ...nodes.slice(1).map((n) => n.stop())]);
		};
		return { stack, nodes, http: new HttpClient(d.url, maxSockets), user, rows: { fanout: fanout.id, load: load.id, user: userRow.id, item: itemRow.id }, itemId: String(item.id) };
	} catch (error) {
		await Promise.allSettled([stack.stop(), ...nodes.slice(1).map((n) => n.stop())]);
		throw error;
	}
}

/** Turns a channel row on or off through the API, as an admin would in the Data Studio. */
export async function setRowEnabled(setup: BenchSetup, rowId: string, enabled: boolean): Promise<void> {
	const res = await setup.stack.directus.request('PATCH', `/items/realtime_channels/${rowId}`, { enabled });
	if (res.status !== 200) throw new Error(`could not set enabled=${enabled} on channel row ${rowId}: ${res.status} ${res.text}`);
}

/**
 * Makes the extension load its channel rows now (a row change only marks them stale; the next
 * event or authorization reloads them), so that the next measured event does not pay for it.
 */
export async function primeChannels(setup: BenchSetup): Promise<void> {
	const res = await setup.http.send({
		method: 'POST',
		path: '/realtime/auth',
		headers: { authorization: `Bearer ${setup.user.token}`, 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ socket_id: '1234.5678', channel_name: CHANNELS.fanout }).toString(),
	});
	if (res.status !== 200) throw new Error(`priming the channel rows failed: ${res.status} ${res.body.slice(0, 300)}`);
}
