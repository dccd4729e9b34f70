/**
 * The query of GET /realtime/channels/<name>/history, parsed before anything is read:
 * `since` (a seq), `epoch` (required with `since`), `limit` (1–1000, default 100). Anything
 * malformed is an INVALID_QUERY naming the parameter; other parameters (a cache buster) are ignored.
 */
import { RealtimeError } from '../errors.js';
import { TOKEN_PATTERN } from './envelope.js';

export const DEFAULT_HISTORY_LIMIT = 100;
export const MAX_HISTORY_LIMIT = 1000;

export interface HistoryQuery {
	since: number | undefined;
	epoch: string | undefined;
	limit: number;
}

function invalidQuery(message: string): RealtimeError {
	return new RealtimeError('INVALID_QUERY', message);
}

/** One value of a parameter, or undefined; a repeated or nested parameter is malformed. */
function single(query: Record<string, unknown>, name: string): string | undefined {
	const value = query[name];
	if (value === undefined) return undefined;
	if (typeof value !== 'string') throw invalidQuery(`${name} must be given once, as a plain value`);
	return value;
}

export function parseHistoryQuery(query: unknown): HistoryQuery {
	const params = (query ?? {}) as Record<string, unknown>;
	if (typeof params !== 'object' || Array.isArray(params)) throw invalidQuery('the query must be since, epoch and limit');
	const since = single(params, 'since');
	const epoch = single(params, 'epoch');
	const limit = single(params, 'limit');
	let parsedSince: number | undefined;
	if (since !== undefined) {
		if (!/^\d{1,15}$/.test(since)) throw invalidQuery('since must be a whole number (a seq from an event), at most 15 digits');
		parsedSince = Number(since);
		if (epoch === undefined) throw invalidQuery('since needs the epoch its seq belongs to');
	}
	if (epoch !== undefined) {
		if (since === undefined) throw invalidQuery('epoch goes with since');
		if (!TOKEN_PATTERN.test(epoch)) throw invalidQuery('epoch must be the epoch of an event (letters, digits, - and _, at most 64)');
	}
	let parsedLimit = DEFAULT_HISTORY_LIMIT;
	if (limit !== undefined) {
		if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_HISTORY_LIMIT) throw invalidQuery(`limit must be a whole number from 1 to ${MAX_HISTORY_LIMIT}`);
		parsedLimit = Number(limit);
	}
	return { since: parsedSince, epoch, limit: parsedLimit };
}
