/**
 * The body of POST /realtime/dry-run, checked field by field: two shapes, each with a saved row
 * (`row`) or unsaved script text. Anything else is refused with a reason (400).
 *
 * Publisher:  { row, action, key, changed? }
 *         or  { publisher, collection, fields?, channel_name, action, key, changed? }
 * Authorizer: { row, channel_name, user, socket_id? }
 *         or  { authorizer, channel_name_pattern, channel_name, user, socket_id? }
 *
 * Checked by hand, not by a zod schema as the replies (wire.ts): here zod would run, so the
 * bundle would carry it (tens of KB for one body), and these messages name each field and what
 * it must be.
 */
import { RealtimeError } from '../errors.js';
import { assertChannelName, isSocketId } from '../pusher/names.js';
import type { ChannelAction } from '../channels/row.js';
import { isUuid, type Item, type PrimaryKey } from '../items/types.js';

/** The largest dry-run body (scripts included); the body gate answers 413 past it. */
export const MAX_DRY_RUN_BODY_BYTES = 64 * 1024;

const MAX_FIELDS = 100;
const MAX_ITEM_KEY_LENGTH = 255;

/** A saved row, or the text of one not saved yet. */
export type ScriptSource = { row: string } | { script: string; pattern: string };

export interface PublisherDryRun {
	kind: 'publisher';
	source: ScriptSource;
	/** Unsaved scripts only; a row brings its own. */
	collection?: string;
	fields?: string[];
	action: ChannelAction;
	key: PrimaryKey;
	changed: Item | null;
}

export interface AuthorizerDryRun {
	kind: 'authorizer';
	source: ScriptSource;
	channel_name: string;
	user: string;
	socket_id: string;
}

const PUBLISHER_ROW = ['row', 'action', 'key', 'changed'];
const PUBLISHER_TEXT = ['publisher', 'collection', 'fields', 'channel_name', 'action', 'key', 'changed'];
const AUTHORIZER_ROW = ['row', 'channel_name', 'user', 'socket_id'];
const AUTHORIZER_TEXT = ['authorizer', 'channel_name_pattern', 'channel_name', 'user', 'socket_id'];

const invalid = (message: string) => new RealtimeError('INVALID_PAYLOAD', message);

function text(body: Record<string, unknown>, name: string, max = MAX_ITEM_KEY_LENGTH): string {
	const value = body[name];
	if (typeof value !== 'string' || value.trim() === '') throw invalid(`${name} is required (a string)`);
	if (value.length > max) throw invalid(`${name} is longer than ${max} characters`);
	return value;
}

function rowId(body: Record<string, unknown>): string {
	const value = body.row;
	if (typeof value !== 'string' || !isUuid(value)) throw invalid('row must be the id (a uuid) of a channel row');
	return value.toLowerCase();
}

function onlyKnown(body: Record<string, unknown>, allowed: string[]): void {
	const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
	if (unknown.length > 0) throw invalid(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')} (allowed: ${allowed.join(', ')})`);
}

export function parseDryRun(body: unknown): PublisherDryRun | AuthorizerDryRun {
	if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('the body must be a JSON object');
	const b = body as Record<string, unknown>;
	const isAuthorizer = 'user' in b || 'authorizer' in b;
	const isPublisher = 'action' in b || 'publisher' in b;
	if (isAuthorizer === isPublisher) {
		throw invalid('send either a publisher dry-run ({ row | publisher, action, key }) or an authorizer dry-run ({ row | authorizer, channel_name, user })');
	}
	const saved = 'row' in b;
	if (saved && ('publisher' in b || 'authorizer' in b)) throw invalid('send either row or the script text, not both');
	if (isAuthorizer) {
		onlyKnown(b, saved ? AUTHORIZER_ROW : AUTHORIZER_TEXT);
		const channel_name = text(b, 'channel_name', 200);
		assertChannelName(channel_name);
		const user = text(b, 'user');
		if (!isUuid(user)) throw invalid('user must be the id (a uuid) of a Directus user');
		const socket_id = b.socket_id === undefined ? '1234.5678' : b.socket_id;
		if (!isSocketId(socket_id)) throw invalid('socket_id must look like "1234.5678"');
		const source: ScriptSource = saved ? { row: rowId(b) } : { script: text(b, 'authorizer', MAX_DRY_RUN_BODY_BYTES), pattern: text(b, 'channel_name_pattern', 200) };
		return { kind: 'authorizer', source, channel_name, user: user.toLowerCase(), socket_id };
	}
	onlyKnown(b, saved ? PUBLISHER_ROW : PUBLISHER_TEXT);
	const action = b.action;
	if (action !== 'create' && action !== 'update' && action !== 'delete') throw invalid('action must be "create", "update" or "delete"');
	const key = b.key;
	if (!((typeof key === 'string' && key !== '' && key.length <= MAX_ITEM_KEY_LENGTH) || (typeof key === 'number' && Number.isSafeInteger(key)))) {
		throw invalid(`key must be the item's primary key (a string of at most ${MAX_ITEM_KEY_LENGTH} characters, or a whole number)`);
	}
	const changed = b.changed ?? null;
	if (changed !== null && (typeof changed !== 'object' || Array.isArray(changed))) throw invalid('changed must be an object (the update as saved)');
	const request: PublisherDryRun = {
		kind: 'publisher',
		source: saved ? { row: rowId(b) } : { script: text(b, 'publisher', MAX_DRY_RUN_BODY_BYTES), pattern: text(b, 'channel_name', 200) },
		action,
		key,
		changed: action === 'update' ? ((changed as Item | null) ?? {}) : null,
	};
	if (!saved) {
		request.collection = text(b, 'collection', 64);
		const fields = b.fields ?? ['*'];
		if (!Array.isArray(fields) || fields.length === 0 || fields.length > MAX_FIELDS || fields.some((f) => typeof f !== 'string' || f.trim() === '' || f.length > 200)) {
			throw invalid(`fields must be a list of 1 to ${MAX_FIELDS} field names, e.g. ["*", "author.first_name"]`);
		}
		request.fields = fields as string[];
	}
	return request;
}
