/**
 * What an authorizer's answer means, by channel type (Laravel's contract, the seed's too):
 * private and private-encrypted channels need exactly `true`; presence channels need an object,
 * `{ user_id?, user_info? }`, with user_id defaulting to the caller's id.
 *
 * An explicit `null` means "not my call": the next matching row decides. Anything else refuses
 * for good, `undefined` included: the seed README's authorizers end without a return when they
 * refuse, so letting `undefined` through would let a lenient catch-all row grant what a
 * specific row refused.
 *
 * The binding rule of presence members (`bindMember`): a member's user_id that names a Directus
 * user names the caller. An authorizer may give a member an id of its own making ("guest-5"),
 * but not another Directus user's id: webhooks (realtime.client_event) map a member's user_id to
 * that user's permissions, so only that very user may have joined under it.
 */
import type { ChannelType } from '../pusher/names.js';

export interface PresenceMember {
	user_id: string;
	user_info?: Record<string, unknown>;
}

export type Decision =
	| { allowed: true; member?: PresenceMember }
	| { allowed: false; reason: string }
	/** The script returned null: the next matching row decides. */
	| { allowed: false; pass: true; reason: string }
	/** The member's user_id is another Directus user's id (the binding rule). */
	| { allowed: false; misbound: true; reason: string };

/** Pusher limits channel_data (the member) to 1 KB on presence channels. */
export const MAX_PRESENCE_DATA_BYTES = 1024;

export function decide(type: ChannelType, result: unknown, callerId: string): Decision {
	if (result === null) return { allowed: false, pass: true, reason: 'the authorizer returned null (not its call)' };
	if (type === 'presence') {
		if (result === null || typeof result !== 'object' || Array.isArray(result)) {
			return { allowed: false, reason: `a presence authorizer must return { user_id, user_info }; it returned ${describeResult(result)}` };
		}
		const { user_id, user_info } = result as Record<string, unknown>;
		const id = user_id === undefined || user_id === null ? callerId : user_id;
		if ((typeof id !== 'string' && typeof id !== 'number') || String(id) === '') {
			return { allowed: false, reason: 'user_id must be a non-empty string or number' };
		}
		if (user_info !== undefined && (user_info === null || typeof user_info !== 'object' || Array.isArray(user_info))) {
			return { allowed: false, reason: 'user_info must be an object' };
		}
		const member: PresenceMember = { user_id: String(id), ...(user_info ? { user_info: user_info as Record<string, unknown> } : {}) };
		if (Buffer.byteLength(JSON.stringify(member)) > MAX_PRESENCE_DATA_BYTES) {
			return { allowed: false, reason: `presence member data is larger than ${MAX_PRESENCE_DATA_BYTES} bytes` };
		}
		return { allowed: true, member };
	}
	if (result === true) return { allowed: true };
	return { allowed: false, reason: `the authorizer returned ${describeResult(result)}, not true` };
}

/**
 * Applies the binding rule to a decision: refuses a presence member whose user_id is not the
 * caller's id but names another Directus user, and gives a member whose user_id is another
 * spelling of the caller's id (PostgreSQL and MySQL take "ABC" for "abc") the caller's id. `directusUserNamed` answers which user an id names
 * on this database (another spelling of an id may name one), or null for none.
 */
export async function bindMember(decision: Decision, callerId: string, directusUserNamed: (id: string) => Promise<string | null>): Promise<Decision> {
	if (!decision.allowed || !decision.member || decision.member.user_id === callerId) return decision;
	const named = await directusUserNamed(decision.member.user_id);
	if (named === null) return decision;
	// Another spelling of the caller's own id joins as the id itself: one user is one member and
	// one client-event sender (one budget of RT_CLIENT_EVENTS_PER_SECOND), not one per spelling.
	if (named === callerId) return { ...decision, member: { ...decision.member, user_id: callerId } };
	return {
		allowed: false,
		misbound: true,
		reason: `user_id ${describeResult(decision.member.user_id)} is another Directus user's id (${named}): a presence member's user_id must be the caller's own id or an id that is no Directus user's`,
	};
}

function describeResult(value: unknown): string {
	if (value === undefined) return 'nothing';
	const text = JSON.stringify(value) ?? String(value);
	return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
