/**
 * Checks a channel row before it is saved, so a broken row never reaches the registry: the
 * pattern parses and uses Pusher's characters, the collection is set, fields is a list of
 * strings, both scripts compile (with line and column in the admin's own code), and client
 * events are opened only on private and presence channels.
 */
import { RealtimeError, type ScriptDiagnostic } from '../errors.js';
import { assertChannelName, assertEventName, channelType, MAX_CHANNEL_NAME_LENGTH } from '../pusher/names.js';
import { channelPattern } from './pattern.js';
import { AUTHORIZE_MODES, CHANNELS_COLLECTION } from './row.js';
import { presenceFieldProblem } from './permission-mode.js';

const MAX_PRESENCE_FIELDS = 20;

/** Why the permission mode's three settings cannot be saved as sent; each problem on its field. */
function permissionModeProblems(payload: Record<string, unknown>, deps: ValidationDeps): FieldProblem[] {
	const problems: FieldProblem[] = [];
	if ('authorize' in payload && payload.authorize !== null && !AUTHORIZE_MODES.includes(payload.authorize as never)) {
		problems.push({ field: 'authorize', message: `must be one of ${AUTHORIZE_MODES.join(', ')}` });
	}
	if ('authorize' in payload && payload.authorize === 'permissions' && Array.isArray(payload.fields)) {
		const relational = payload.fields.find((f) => typeof f === 'string' && (f.includes('.') || f.includes('(')));
		if (relational !== undefined) {
			problems.push({ field: 'fields', message: `"${relational}" reads another collection: permission mode checks the collection's own fields only; use an authorizer script for relational fields` });
		}
	}
	if ('presence_user_fields' in payload && payload.presence_user_fields !== null) {
		const list = payload.presence_user_fields;
		const secret = (name: string) => deps.isSecretField(name);
		if (!Array.isArray(list) || list.length > MAX_PRESENCE_FIELDS) {
			problems.push({ field: 'presence_user_fields', message: `must be a list of at most ${MAX_PRESENCE_FIELDS} field names of directus_users` });
		} else {
			const problem = list.map((f) => presenceFieldProblem(f, secret)).find((p) => p !== null);
			if (problem) problems.push({ field: 'presence_user_fields', message: problem });
		}
	}
	if ('event_names' in payload && payload.event_names !== null) {
		let names = payload.event_names;
		if (typeof names === 'string') {
			try {
				names = JSON.parse(names);
			} catch {
				names = undefined;
			}
		}
		if (names === null || typeof names !== 'object' || Array.isArray(names)) {
			problems.push({ field: 'event_names', message: 'must be an object such as { "created": "created", "updated": "updated", "deleted": "deleted" }' });
		} else {
			for (const [key, value] of Object.entries(names as Record<string, unknown>)) {
				if (!['created', 'updated', 'deleted'].includes(key)) {
					problems.push({ field: 'event_names', message: `"${key.slice(0, 40)}" is not one of created, updated, deleted` });
					break;
				}
				try {
					assertEventName(value);
				} catch (error) {
					problems.push({ field: 'event_names', message: `${key}: ${(error as Error).message}` });
					break;
				}
			}
		}
	}
	return problems;
}
import { systemSourceProblem } from './system-collections.js';

export interface FieldProblem {
	field: string;
	message: string;
}

export interface ValidationDeps {
	/** Null when the script compiles. */
	checkScript(source: string, kind: 'authorizer' | 'publisher'): ScriptDiagnostic | null;
	collectionExists(collection: string): boolean;
	/** Whether a field name is a secret (of directus_users, or anywhere in the schema). */
	isSecretField(name: string): boolean;
}

/** The pattern with each `:name` and its regex, nested parentheses included, replaced by "x". */
function withParametersAsX(source: string): string {
	let out = '';
	let i = 0;
	while (i < source.length) {
		const name = /^:\w+/.exec(source.slice(i));
		if (!name) {
			out += source[i++];
			continue;
		}
		out += 'x';
		i += name[0].length;
		if (source[i] !== '(') continue;
		let depth = 0;
		do {
			if (source[i] === '\\') i++;
			else if (source[i] === '(') depth++;
			else if (source[i] === ')') depth--;
			i++;
		} while (depth > 0 && i < source.length);
	}
	return out;
}

function checkPattern(value: unknown): string | null {
	if (typeof value !== 'string' || value.trim() === '') return 'a channel name pattern is required';
	if (value.length > MAX_CHANNEL_NAME_LENGTH) return `is longer than ${MAX_CHANNEL_NAME_LENGTH} characters`;
	try {
		const pattern = channelPattern(value);
		// The literal parts must be valid channel characters: fill every parameter with "x" and check.
		if (pattern.params.length === 0) assertChannelName(value);
		else assertChannelName(withParametersAsX(value));
	} catch (error) {
		return error instanceof RealtimeError ? error.message : String(error);
	}
	return null;
}

function describeDiagnostic(d: ScriptDiagnostic): string {
	const where = d.line ? ` (line ${d.line}${d.column ? `, column ${d.column}` : ''})` : '';
	return `${d.message}${where}`;
}

/** Why `collection` cannot be a row's source collection; null when it can. */
export function sourceCollectionProblem(collection: unknown, exists: (collection: string) => boolean): string | null {
	if (typeof collection !== 'string' || collection === '') return 'a source collection is required';
	if (collection === CHANNELS_COLLECTION) return `"${collection}" holds the channel rows themselves; their changes are never published`;
	const system = systemSourceProblem(collection);
	if (system) return system;
	if (!exists(collection)) return `"${collection}" does not exist`;
	return null;
}

/** The stored values an update is judged with when it leaves them out. */
export interface StoredChannelRow {
	channel_name?: unknown;
	client_events?: unknown;
}

/**
 * Whether a stored or sent `client_events` value is certainly off. Anything else counts as on:
 * databases take more spellings of true than rows are read with (PostgreSQL stores "t", "yes"
 * and "on" as true), so the check fails closed.
 */
const isOff = (value: unknown) => value === undefined || value === null || value === false || value === 0 || value === '0' || value === 'false' || value === '';

/**
 * Why `client_events` cannot be on for a row of this pattern; null when it can. Pusher servers
 * (Soketi 1.6.1 among them) accept `client-*` events on public channels, where anyone may
 * subscribe without an account: opening those to Flows would let anyone run them.
 */
export function clientEventsProblem(channelName: unknown, clientEvents: unknown): string | null {
	if (isOff(clientEvents) || typeof channelName !== 'string') return null;
	if (channelType(channelName) !== 'public') return null;
	return `client events cannot be on for "${channelName.length > 60 ? `${channelName.slice(0, 57)}...` : channelName}": it is a public channel, which anyone may join without a Directus account; use a private- or presence- channel`;
}

/**
 * Problems with the fields present in `payload` (a create or a partial update). For an update,
 * `stored` holds the row's saved values, so a change of only `channel_name` or only
 * `client_events` is judged with the other as saved.
 */
export function validateChannelPayload(payload: Record<string, unknown>, deps: ValidationDeps, creating: boolean, stored?: StoredChannelRow): FieldProblem[] {
	// Messages leave out the field's name: the Data Studio shows it in front of them.
	const problems: FieldProblem[] = [];
	const has = (field: string) => creating || field in payload;
	if (has('channel_name')) {
		const problem = checkPattern(payload.channel_name);
		if (problem) problems.push({ field: 'channel_name', message: problem });
	}
	if ('channel_name' in payload || 'client_events' in payload) {
		const name = 'channel_name' in payload ? payload.channel_name : stored?.channel_name;
		const on = 'client_events' in payload ? payload.client_events : stored?.client_events;
		const problem = clientEventsProblem(name, on);
		// Shown on the field the admin changed: client_events when it was sent, else the name.
		if (problem) problems.push({ field: 'client_events' in payload ? 'client_events' : 'channel_name', message: problem });
	}
	if (has('collection')) {
		const problem = sourceCollectionProblem(payload.collection, deps.collectionExists);
		if (problem) problems.push({ field: 'collection', message: problem });
	}
	if ('fields' in payload && payload.fields !== null) {
		const fields = payload.fields;
		if (!Array.isArray(fields) || fields.some((f) => typeof f !== 'string' || f.trim() === '')) {
			problems.push({ field: 'fields', message: 'must be a list of field names, e.g. ["*", "author.first_name"]' });
		}
	}
	problems.push(...permissionModeProblems(payload, deps));
	for (const kind of ['authorizer', 'publisher'] as const) {
		const source = payload[kind];
		if (source === undefined || source === null || source === '') continue;
		if (typeof source !== 'string') {
			problems.push({ field: kind, message: 'must be JavaScript text' });
			continue;
		}
		const diagnostic = deps.checkScript(source, kind);
		if (diagnostic) problems.push({ field: kind, message: describeDiagnostic(diagnostic) });
	}
	return problems;
}
