/**
 * Checks a channel row before it is saved, so a broken row never reaches the registry: the
 * pattern parses and uses Pusher's characters, the collection is set, fields is a list of
 * strings, and both scripts compile (with line and column in the admin's own code).
 */
import { RealtimeError } from '../errors.js';
import { assertChannelName, MAX_CHANNEL_NAME_LENGTH } from '../pusher/names.js';
import { channelPattern } from './pattern.js';
import { CHANNELS_COLLECTION } from './row.js';
import { systemSourceProblem } from './system-collections.js';

export interface FieldProblem {
	field: string;
	message: string;
}

export interface ScriptDiagnostic {
	message: string;
	line?: number | undefined;
	column?: number | undefined;
}

export interface ValidationDeps {
	/** Null when the script compiles. */
	checkScript(source: string, kind: 'authorizer' | 'publisher'): ScriptDiagnostic | null;
	collectionExists(collection: string): boolean;
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

/** Problems with the fields present in `payload` (a create or a partial update). */
export function validateChannelPayload(payload: Record<string, unknown>, deps: ValidationDeps, creating: boolean): FieldProblem[] {
	// Messages leave out the field's name: the Data Studio shows it in front of them.
	const problems: FieldProblem[] = [];
	const has = (field: string) => creating || field in payload;
	if (has('channel_name')) {
		const problem = checkPattern(payload.channel_name);
		if (problem) problems.push({ field: 'channel_name', message: problem });
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
