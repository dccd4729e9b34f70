/**
 * Hooks on `realtime_channels` itself: only admins may read or change rows (scripts are code,
 * even if a role is granted the collection by mistake; see admin-only.ts), rows are validated on
 * save, and every change invalidates the registry so the very next event sees it, and is
 * announced to the other instances once it is committed.
 */
import { createError, ForbiddenError } from '@directus/errors';
import type { RegisterFunctions } from '@directus/types';
import type { Knex } from 'knex';
import {
	CHANNELS_COLLECTION,
	requireAdmin,
	revisionWithoutScripts,
	validateChannelPayload,
	withoutChannelPermissions,
	type ChannelRegistry,
	type StoredChannelRow,
	type Accountability,
	type ValidationDeps,
} from '@directus-realtime/shared';

interface FailedValidationExtensions {
	field: string;
	type: string;
	path: string[];
	validation_message: string;
}

// The Data Studio highlights FAILED_VALIDATION errors on the field they name.
const FailedValidationError = createError<FailedValidationExtensions>(
	'FAILED_VALIDATION',
	(e) => `Validation failed for field "${e.field}". ${e.validation_message}`,
	400,
);

const NO_VERSIONS = `Content versions of ${CHANNELS_COLLECTION} are not allowed: they would keep copies of channel scripts outside the table`;

function refuseVersions(): never {
	throw new ForbiddenError({ reason: NO_VERSIONS });
}

function namesChannels(value: unknown): boolean {
	return Boolean(value && typeof value === 'object' && (value as Record<string, unknown>).collection === CHANNELS_COLLECTION);
}

/**
 * `POST /versions` (and GraphQL) for a channel row: refused in `versions.create`, which Directus
 * runs after its own checks (so with versioning off the 422 it gives comes first). Moving a
 * version onto the table, or saving into or changing a version of it (one made before this
 * check existed), is refused in `versions.update`; a save writes its activity row (and, with
 * accountability `all`, a revision) before that, so `activity.create` refuses the save first.
 */
function registerVersionRefusals(filter: Pick<RegisterFunctions, 'filter'>['filter']): void {
	filter('versions.create', (payload) => {
		if (namesChannels(payload)) refuseVersions();
		return payload;
	});
	filter('versions.update', async (payload, meta, { database }) => {
		if (namesChannels(payload)) refuseVersions();
		const keys = ((meta as { keys?: unknown[] }).keys ?? []).filter((k): k is string | number => typeof k === 'string' || typeof k === 'number');
		if (keys.length > 0) {
			const ofChannels = await database('directus_versions').whereIn('id', keys).andWhere('collection', CHANNELS_COLLECTION).first('id');
			if (ofChannels) refuseVersions();
		}
		return payload;
	});
	filter('activity.create', (payload) => {
		const activity = payload as Record<string, unknown> | null;
		if (namesChannels(activity) && activity!.action === 'version_save') refuseVersions();
		return payload;
	});
}

/**
 * The saved `channel_name` and `client_events` of the rows an update changes, when it changes one
 * of the two (the other must be judged as saved); `[undefined]` when neither is changed.
 */
async function storedRows(database: Knex | undefined, payload: Record<string, unknown>, keys: unknown): Promise<Array<StoredChannelRow | undefined>> {
	if (!('channel_name' in payload) && !('client_events' in payload)) return [undefined];
	if (!database || !Array.isArray(keys) || keys.length === 0) return [undefined];
	const rows = (await database(CHANNELS_COLLECTION).select('id', 'channel_name', 'client_events').whereIn('id', keys as string[])) as StoredChannelRow[];
	return rows.length > 0 ? rows : [undefined];
}

const adminsOnlyRows = () => new ForbiddenError({ reason: 'Only administrators may access realtime channels' });

/** Users other than administrators are refused; Directus' own internal reads run without accountability: the system, not a user. */
function administratorsOrSystem(accountability: Pick<Accountability, 'admin'> | null | undefined): void {
	if (accountability) requireAdmin(accountability, adminsOnlyRows);
}

export function registerChannelCollectionHooks(
	{ filter, action }: Pick<RegisterFunctions, 'filter' | 'action'>,
	deps: { registry: ChannelRegistry; validation: (schema: any) => ValidationDeps },
): void {
	const scoped = (event: string) => `${CHANNELS_COLLECTION}.items.${event}`;

	// The permission rows Directus reads for its own access checks (it reads them as the system,
	// without accountability) never grant anything on the channels. Admins' reads of the rows
	// (the Data Studio's policy pages) still show them, so a mis-grant can be seen and removed.
	filter('permissions.read', (rows, _meta, { accountability }) => (accountability ? rows : withoutChannelPermissions(rows)));
	// Script text is not kept in revisions, whatever the collection's accountability says.
	filter('revisions.create', (revision) => revisionWithoutScripts(revision));

	// Content versions of channel rows would keep script drafts in directus_versions (and their
	// saves in revisions): refused for everyone, administrators included, on every path.
	registerVersionRefusals(filter);

	// The checks below stay for what permission rows do not cover: a share an admin made of a
	// channel row carries an admin's permissions, but its visitors are not admins.
	filter(scoped('query'), (query, _meta, { accountability }) => {
		administratorsOrSystem(accountability);
		return query;
	});
	filter(scoped('delete'), (keys, _meta, { accountability }) => {
		administratorsOrSystem(accountability);
		return keys;
	});
	for (const event of ['create', 'update'] as const) {
		filter(scoped(event), async (payload, meta, { accountability, schema, database }) => {
			administratorsOrSystem(accountability);
			const row = payload as Record<string, unknown>;
			const validation = deps.validation(schema);
			// An update is judged with each changed row's saved values for what it leaves out.
			const stored = event === 'update' ? await storedRows(database as Knex | undefined, row, (meta as { keys?: unknown }).keys) : [undefined];
			for (const saved of stored) {
				const problems = validateChannelPayload(row, validation, event === 'create', saved);
				if (problems.length > 0) {
					throw problems.map((p) => new FailedValidationError({ field: p.field, type: 'script', path: [], validation_message: p.message }));
				}
			}
			// The seed's default: read every top-level field.
			if (event === 'create' && (row.fields === undefined || row.fields === null)) return { ...row, fields: ['*'] };
			return payload;
		});
	}
	// Every way rows change in Directus ends in one of these: the item endpoints and the Data
	// Studio, batch and by-query writes, imports (their actions come after the whole import), and
	// POST /utils/sort/realtime_channels (dragging rows), which emits `realtime_channels.items.sort`.
	let settle: ReturnType<typeof setTimeout> | undefined;
	for (const event of ['create', 'update', 'delete', 'sort'] as const) {
		action(scoped(event), (_meta, context) => {
			deps.registry.invalidate();
			void afterCommit((context as { database?: unknown } | undefined)?.database).then(() => {
				deps.registry.changed();
				// An import emits its actions inside its transaction, with the plain connection as
				// their context, just before it commits: once more a moment later, here and on the
				// other instances, so rows read before that commit are not kept.
				clearTimeout(settle);
				settle = setTimeout(() => deps.registry.changed(), SETTLE_MS);
				settle.unref?.();
			});
		});
	}
}

/** How long after the last row change it is announced once more. */
export const SETTLE_MS = 1000;

interface MaybeTransaction {
	isTransaction?: boolean;
	isCompleted?: () => boolean;
	executionPromise?: Promise<unknown>;
}

/**
 * Resolves once `database` has committed (or rolled back) when it is a transaction still open,
 * at once otherwise. Directus emits most actions after its transaction, but an import emits them
 * inside it, just before the commit: announced then, another instance could read the old rows
 * and keep them.
 */
export async function afterCommit(database: unknown): Promise<void> {
	const trx = database as MaybeTransaction | null | undefined;
	if (!trx?.isTransaction || typeof trx.isCompleted !== 'function' || trx.isCompleted()) return;
	await Promise.resolve(trx.executionPromise).catch(() => undefined);
}
