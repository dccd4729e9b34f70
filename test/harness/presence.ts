/**
 * Presence rows as the suites set them up: a row that only decides who joins (no publisher, no
 * triggers), with the authorizer most suites use.
 */
import type { Directus } from './directus.js';
import { createChannel, type ChannelInput } from './fixtures.js';

/** Admits every logged-in user as a member named by their first name. */
export const MEMBER_AUTHORIZER = 'return { user_id: auth.user.id, user_info: { name: auth.user.first_name } };';

/** A presence row that publishes nothing; `authorizer` defaults to MEMBER_AUTHORIZER. */
export function createPresenceChannel(directus: Directus, row: Pick<ChannelInput, 'channel_name' | 'collection'> & Partial<ChannelInput>): Promise<{ id: string } & ChannelInput> {
	return createChannel(directus, { authorizer: MEMBER_AUTHORIZER, publisher: null, trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false, ...row });
}
