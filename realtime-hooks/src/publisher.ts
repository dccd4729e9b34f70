/**
 * Wires Directus' items events to the publish pipeline. Actions are fire-and-forget in Directus,
 * so publishing never fails the request. Three events need care:
 * - a delete's items are read in the `items.delete` filter (the last moment they exist), which
 *   Directus runs *before* it checks that the caller may delete them: so the filter asks
 *   Directus' own check first and reads nothing for a delete that will be refused;
 * - a batch update's items are read inside its transaction, right before the commit, and
 *   published after it (see commit-gate.ts);
 * - no event reads more than `maxKeysPerEvent` keys.
 * The same handlers serve `items.*` and the system collections that may be sources
 * (`users.*`, `files.*`, `comments.*`…: Directus' event scope for each, same meta); an upload
 * emits `files.upload` instead of `files.create`, and publishes as a create.
 */
import type { RegisterFunctions } from '@directus/types';
import type { Knex } from 'knex';
import {
	ChannelRegistry,
	CHANNELS_COLLECTION,
	CommitGate,
	committed,
	databaseChannelSource,
	DEFAULT_PENDING_LIMITS,
	estimateBytes,
	openTransaction,
	Pending,
	publishItemsEvent,
	readForChannels,
	redactItem,
	type Channel,
	type Item,
	type ItemReader,
	type ItemsEvent,
	type PreRead,
	type PrimaryKey,
	type PublisherDeps,
	type SchemaLike,
	type Transaction,
	SYSTEM_SOURCES,
} from '@directus-realtime/shared';
import { currentSocketId } from './request-context.js';

type Accountability = { user?: string | null; admin?: boolean } | null | undefined;

export interface PublisherHookDeps extends PublisherDeps {
	/** A reader for one event, from the event's context (its schema; its transaction, if any). */
	readerFor: (context: { schema: unknown; database?: unknown }) => ItemReader;
	/**
	 * Whether Directus will let `accountability` delete `keys` (its own check, run before the
	 * delete's read). Resolves false when refused or when the check is unavailable.
	 */
	mayDelete: (accountability: NonNullable<Accountability>, collection: string, keys: PrimaryKey[], context: { schema: unknown; database: unknown }) => Promise<boolean>;
	/** Most keys read and published for one event (RT_MAX_KEYS_PER_EVENT). */
	maxKeysPerEvent: number;
	/** Memory budget of the delete pre-reads waiting for their action (RT_PENDING_MAX_MB). */
	pendingMaxBytes: number;
}

export function registerPublisherHooks({ filter, action }: Pick<RegisterFunctions, 'filter' | 'action'>, deps: PublisherHookDeps): void {
	const deletes = new Pending<PreRead>('delete pre-reads', { ...DEFAULT_PENDING_LIMITS, maxBytes: deps.pendingMaxBytes }, deps.log.warn);
	// Directus hands a write's filter and its action the very same `keys` array: it pairs them
	// exactly, also when two requests write the same keys at once, and the entry goes when
	// Directus drops the array (a failed write never fills this map).
	const batchUpdates = new WeakMap<object, Transaction>();
	const fail = (what: string) => (error: unknown) => deps.log.error(`realtime: ${what} failed: ${(error as Error).message}`);
	const userOf = (accountability: Accountability) => accountability?.user ?? null;
	const withPublisher = async (collection: string, action: ItemsEvent['action'], registry = deps.registry) =>
		(await registry.forEvent(collection, action)).filter((c) => c.row.publisher?.trim());
	/**
	 * Inside a transaction nothing may wait for a query on another connection: SQLite has only
	 * one, and the transaction holds it. The rows come from the registry when it has them at hand
	 * (its snapshot needs no check yet), else they are read through the transaction itself.
	 */
	const withPublisherInside = async (collection: string, action: ItemsEvent['action'], knex: unknown): Promise<Channel[]> => {
		const atHand = deps.registry.peek();
		if (atHand) return atHand.forEvent(collection, action).filter((c) => c.row.publisher?.trim());
		const inside = new ChannelRegistry(databaseChannelSource(knex as Knex), { checkIntervalMs: Number.MAX_SAFE_INTEGER, warn: deps.log.warn });
		return withPublisher(collection, action, inside);
	};
	const bounded = (collection: string, action: string, keys: PrimaryKey[]): PrimaryKey[] => {
		if (keys.length <= deps.maxKeysPerEvent) return keys;
		deps.log.warn(
			`realtime: ${action} of ${keys.length} ${collection} items: publishing only the first ${deps.maxKeysPerEvent} (RT_MAX_KEYS_PER_EVENT)`,
		);
		return keys.slice(0, deps.maxKeysPerEvent);
	};

	for (const scope of ['items', ...Object.values(SYSTEM_SOURCES)]) registerScope(scope);

	// A multipart upload creates the file with its events off, then says `files.upload`.
	action('files.upload', (meta, { accountability, schema }) => {
		const collection = 'directus_files';
		void publishItemsEvent(
			deps,
			{ collection, action: 'create', keys: [meta.key], changed: null, user: userOf(accountability), socketId: currentSocketId() },
			deps.readerFor({ schema }),
		).catch(fail(`publishing the upload of file ${meta.key}`));
	});

	function registerScope(scope: string): void {
		action(`${scope}.create`, (meta, { accountability, schema }) => {
			if (meta.collection === CHANNELS_COLLECTION) return;
			const socketId = currentSocketId();
			void publishItemsEvent(
				deps,
				{ collection: meta.collection, action: 'create', keys: bounded(meta.collection, 'create', [meta.key]), changed: null, user: userOf(accountability), socketId },
				deps.readerFor({ schema }),
			).catch(fail(`publishing the create of ${meta.collection} ${meta.key}`));
		});

		filter(`${scope}.update`, (payload, meta, context) => {
			const trx = openTransaction(context.database);
			if (trx && Array.isArray(meta.keys)) batchUpdates.set(meta.keys, trx);
			return payload;
		});

		action(`${scope}.update`, (meta, { accountability, schema }) => {
			if (meta.collection === CHANNELS_COLLECTION) return;
			const collection = meta.collection as string;
			const event: ItemsEvent = {
				collection,
				action: 'update',
				keys: bounded(collection, 'update', meta.keys),
				// The update as sent: a hashed field is still the plain text here.
				changed: meta.payload ? redactItem(schema as SchemaLike, collection, meta.payload as Item) : null,
				user: userOf(accountability),
				socketId: currentSocketId(),
			};
			const failed = fail(`publishing the update of ${collection}`);
			const trx = batchUpdates.get(meta.keys);
			if (!trx) {
				void publishItemsEvent(deps, event, deps.readerFor({ schema })).catch(failed);
				return;
			}
			const rolledBack = () => undefined;
			if (trx.isCompleted?.()) {
				// A nested update's action comes after its transaction ended.
				void committed(trx).then(() => publishItemsEvent(deps, event, deps.readerFor({ schema })), rolledBack).catch(failed);
				return;
			}
			// null: no row publishes; undefined: the read inside failed (logged), read after the commit.
			const gate = CommitGate.of<PreRead | null | undefined>(
				trx,
				async (name, keys, knex) => {
					const channels = await withPublisherInside(name, 'update', knex);
					if (channels.length === 0) return null;
					return readForChannels(deps, deps.readerFor({ schema, database: knex }), name, bounded(name, 'batch update', keys), channels);
				},
				fail('reading a batch update before its commit'),
			);
			const read = gate.readBeforeCommit(collection, event.keys);
			void committed(trx)
				.then(async () => {
					const items = await read;
					if (items !== null) await publishItemsEvent(deps, event, items ?? deps.readerFor({ schema }));
				}, rolledBack)
				.catch(failed);
		});

		filter(`${scope}.delete`, async (keys, meta, context) => {
			const collection = meta.collection as string;
			if (collection === CHANNELS_COLLECTION) return keys;
			try {
				// A delete can run inside another write's transaction (relational updates).
				const channels = openTransaction(context.database)
					? await withPublisherInside(collection, 'delete', context.database)
					: await withPublisher(collection, 'delete');
				if (channels.length === 0) return keys;
				const list = keys as PrimaryKey[];
				const accountability = context.accountability as Accountability;
				// Directus runs this filter before its own permission check: ask that check first, so a
				// delete it will refuse costs no read. The system (no accountability) and admins may.
				if (accountability && accountability.admin !== true) {
					if (!(await deps.mayDelete(accountability, collection, list, { schema: context.schema, database: context.database }))) return keys;
				}
				const reader = deps.readerFor({ schema: context.schema, database: context.database });
				const read = await readForChannels(deps, reader, collection, bounded(collection, 'delete', list), channels);
				deletes.put(pendingKey(collection, list), read, estimateBytes(read));
			} catch (error) {
				// Never block a delete because of realtime.
				fail(`reading ${collection} before its delete`)(error);
			}
			return keys;
		});

		action(`${scope}.delete`, (meta, { accountability }) => {
			const read = deletes.take(pendingKey(meta.collection, meta.keys));
			if (!read) return;
			void publishItemsEvent(
				deps,
				{
					collection: meta.collection,
					action: 'delete',
					// The filter warned already.
					keys: meta.keys.slice(0, deps.maxKeysPerEvent),
					changed: null,
					user: userOf(accountability),
					socketId: currentSocketId(),
				},
				read,
			).catch(fail(`publishing the delete of ${meta.collection}`));
		});
	}
}

function pendingKey(collection: string, keys: PrimaryKey[]): string {
	return `${collection}\u0000${keys.map(String).join('\u0000')}`;
}
