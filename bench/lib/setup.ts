/**
 * The stack every realtime benchmark runs on: one Soketi (on the machine's Node 20 when the
 * launcher says which, so its native uWebSockets server is used) and one Directus 12 with the
 * built extensions, native realtime on, and no limiter or request logging in the way.
 */
import { createChannel, createCollection, createUser, type TestUser } from '../../test/harness/fixtures.js';
import { startStack, type Stack } from '../../test/harness/stack.js';
import { HttpClient } from './http.js';

export const COLLECTIONS = { fanout: 'bench_fanout', loadOff: 'bench_load_off', loadOn: 'bench_load_on' } as const;
export const CHANNELS = { fanout: 'private-bench-fanout', load: 'private-bench-load', user: 'private-bench-user-:userId' } as const;
/** The publisher of the fan-out and load channel rows: the item as read with fields ["*"]. */
export const PUBLISHER = "trigger({}, 'created', meta.payload);";
export const USER_AUTHORIZER = 'return auth.user.id === params.userId;';

export const DIRECTUS_ENV: Record<string, string> = {
	WEBSOCKETS_ENABLED: 'true',
	PRESSURE_LIMITER_ENABLED: 'false',
	RATE_LIMITER_ENABLED: 'false',
	// Request logging costs as much as some of what is measured.
	LOG_LEVEL: 'warn',
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

export interface BenchSetup {
	stack: Stack;
	/** Keep-alive client to Directus for the measured requests. */
	http: HttpClient;
	/** A non-admin, API-only user: reads and creates the bench collections, reads users. */
	user: TestUser;
	/** Channel row ids by CHANNELS key. */
	rows: { fanout: string; load: string; user: string };
}

export async function setUp(maxSockets: number): Promise<BenchSetup> {
	const stack = await startStack({ directus: { env: DIRECTUS_ENV } });
	try {
		const d = stack.directus;
		for (const collection of Object.values(COLLECTIONS)) await createCollection(d, collection, [{ field: 'title', type: 'string' }]);
		const user = await createUser(d, {
			first_name: 'Bench',
			grants: [
				...Object.values(COLLECTIONS).flatMap((collection) => [
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
		const userRow = await createChannel(d, {
			channel_name: CHANNELS.user,
			collection: COLLECTIONS.fanout,
			authorizer: USER_AUTHORIZER,
			publisher: null,
			trigger_on_create: false,
			trigger_on_update: false,
			trigger_on_delete: false,
		});
		return { stack, http: new HttpClient(d.url, maxSockets), user, rows: { fanout: fanout.id, load: load.id, user: userRow.id } };
	} catch (error) {
		await stack.stop();
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
