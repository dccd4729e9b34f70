/**
 * Channel rows hold code, so only administrators reach them, whatever a role was granted. Pure
 * rules here; realtime-hooks/src/channel-rows.ts applies them at the two places every path
 * goes through:
 *
 * - Directus decides every access (items, GraphQL, exports, `/utils/sort`, shares, nested reads,
 *   WebSockets) from the permission rows it reads for itself. Without any row on
 *   `realtime_channels` a non-admin policy is denied there; admins never consult the rows.
 * - Script text never enters `directus_revisions`, whose read permission roles are granted for
 *   other reasons and which Directus cannot scope per collection without a licence (custom
 *   permission rules are a licensed feature in Directus 12: a narrowed rule is dropped whole).
 */
import { CHANNELS_COLLECTION } from './row.js';

/** The columns that hold code. */
export const SCRIPT_FIELDS = ['authorizer', 'publisher'] as const;

type Row = Record<string, unknown>;

/** Permission rows as Directus should see them for its access checks: none on the channels. */
export function withoutChannelPermissions<T>(rows: T): T {
	if (!Array.isArray(rows)) return rows;
	return rows.filter((row) => !(row && typeof row === 'object' && (row as Row).collection === CHANNELS_COLLECTION)) as T;
}

/** A revision snapshot (`data` or `delta`, object or JSON text) without the script fields. */
function withoutScripts(snapshot: unknown): unknown {
	if (typeof snapshot === 'string') {
		let parsed: unknown;
		try {
			parsed = JSON.parse(snapshot);
		} catch {
			return snapshot;
		}
		return parsed && typeof parsed === 'object' ? JSON.stringify(withoutScripts(parsed)) : snapshot;
	}
	if (!snapshot || typeof snapshot !== 'object' || Array.isArray(snapshot)) return snapshot;
	const copy: Row = { ...(snapshot as Row) };
	for (const field of SCRIPT_FIELDS) delete copy[field];
	return copy;
}

/**
 * A revision as it may be stored: one of a channel row keeps its other fields (who changed the
 * pattern, the collection, the triggers) but not the scripts. Other revisions pass unchanged.
 */
export function revisionWithoutScripts<T>(revision: T): T {
	if (!revision || typeof revision !== 'object') return revision;
	const r = revision as Row;
	if (r.collection !== CHANNELS_COLLECTION) return revision;
	const copy: Row = { ...r };
	if ('data' in r) copy.data = withoutScripts(r.data);
	if ('delta' in r) copy.delta = withoutScripts(r.delta);
	return copy as T;
}

/** Whether a stored revision snapshot still carries script text (for the upgrade migration). */
export function carriesScripts(snapshot: unknown): boolean {
	let value = snapshot;
	if (typeof value === 'string') {
		try {
			value = JSON.parse(value);
		} catch {
			return false;
		}
	}
	return Boolean(value && typeof value === 'object' && SCRIPT_FIELDS.some((field) => field in (value as Row)));
}
