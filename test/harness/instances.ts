/**
 * Two Directus instances on one database: whether one follows a change made on the other, seen
 * from outside through its `/realtime/auth` answers.
 */
import assert from 'node:assert/strict';
import type { Directus } from './directus.js';
import type { ChannelInput, TestUser } from './fixtures.js';
import { sleep } from './time.js';

/** How soon another instance must follow a change of the channel rows. */
export const FOLLOW_MS = 2000;

/** The status `directus` answers for `user` joining `channel_name`. */
export async function joinStatus(directus: Directus, user: TestUser, channel_name: string): Promise<number> {
	const res = await directus.request('POST', '/realtime/auth', undefined, { token: user.token, form: { socket_id: '1234.5678', channel_name } });
	return res.status;
}

/** Polls until `directus` answers `status` for the channel; the time it took, or a failure past `FOLLOW_MS` (with some slack to tell how late). */
export async function follows(directus: Directus, user: TestUser, channel_name: string, status: number, since: number): Promise<number> {
	let last = 0;
	while (Date.now() - since < FOLLOW_MS * 3) {
		last = await joinStatus(directus, user, channel_name);
		if (last === status) break;
		await sleep(50);
	}
	const took = Date.now() - since;
	assert.equal(last, status, `the other instance still answers ${last} for ${channel_name} after ${took} ms`);
	assert.ok(took <= FOLLOW_MS, `the other instance followed after ${took} ms, more than ${FOLLOW_MS}`);
	return took;
}

/** A channel row that only authorizes (on a source that publishes nothing): what these checks join. */
export const authorizingRow = (input: Omit<ChannelInput, 'collection'>): ChannelInput => ({
	collection: 'directus_folders',
	publisher: null,
	trigger_on_create: false,
	trigger_on_update: false,
	trigger_on_delete: false,
	...input,
});
