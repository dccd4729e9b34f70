/**
 * Wires Directus' items events to the publish pipeline. Actions are fire-and-forget in Directus,
 * so publishing never delays or fails the request; a delete's items are read in the `items.delete`
 * filter (the last moment they exist) and published from the action once the delete succeeded.
 */
import type { RegisterFunctions } from '@directus/types';
import { redactItem, type SchemaLike } from '../auth/redact.js';
import { CHANNELS_COLLECTION } from '../channels/row.js';
import { currentSocketId } from '../request-context.js';
import { publishItemsEvent, readForChannels, type Item, type ItemReader, type PreRead, type PrimaryKey, type PublisherDeps } from './pipeline.js';

type Accountability = { user?: string | null } | null | undefined;

/**
 * What a filter learned about a write, for its action: keyed by collection and keys, forgotten
 * after a minute if the action never comes (the write failed).
 */
class Pending<T> {
	private readonly entries = new Map<string, { value: T; at: number }>();

	static key(collection: string, keys: PrimaryKey[]): string {
		return `${collection}\u0000${keys.map(String).join('\u0000')}`;
	}

	put(key: string, value: T): void {
		const now = Date.now();
		for (const [k, v] of this.entries) if (now - v.at > 60_000) this.entries.delete(k);
		this.entries.set(key, { value, at: now });
	}

	take(key: string): T | undefined {
		const entry = this.entries.get(key);
		this.entries.delete(key);
		return entry?.value;
	}
}

type MaybeTransaction = { isTransaction?: boolean; executionPromise?: Promise<unknown> } | undefined;

export function registerPublisherHooks(
	{ filter, action }: Pick<RegisterFunctions, 'filter' | 'action'>,
	deps: PublisherDeps & {
		/** A reader for one event, from the event's context (its schema; its transaction, if any). */
		readerFor: (context: { schema: unknown; database?: unknown }) => ItemReader;
	},
): void {
	const deletes = new Pending<PreRead>();
	// A batch update (PATCH with an array) emits its actions inside its transaction, before the
	// commit: reading then would see the old values on PostgreSQL and MySQL. Its filters carry
	// the transaction, so the action can wait for the commit (and publish nothing on rollback).
	const commits = new Pending<Promise<unknown>>();
	const fail = (what: string) => (error: unknown) => deps.log.error(`realtime: ${what} failed: ${(error as Error).message}`);
	const userOf = (accountability: Accountability) => accountability?.user ?? null;

	action('items.create', (meta, { accountability, schema }) => {
		if (meta.collection === CHANNELS_COLLECTION) return;
		const socketId = currentSocketId();
		void publishItemsEvent(
			deps,
			{ collection: meta.collection, action: 'create', keys: [meta.key], changed: null, user: userOf(accountability), socketId },
			deps.readerFor({ schema }),
		).catch(fail(`publishing the create of ${meta.collection} ${meta.key}`));
	});

	filter('items.update', (payload, meta, context) => {
		const transaction = context.database as MaybeTransaction;
		if (transaction?.isTransaction && transaction.executionPromise) {
			commits.put(Pending.key(meta.collection, meta.keys), transaction.executionPromise);
		}
		return payload;
	});

	action('items.update', (meta, { accountability, schema }) => {
		if (meta.collection === CHANNELS_COLLECTION) return;
		const socketId = currentSocketId();
		const commit = commits.take(Pending.key(meta.collection, meta.keys));
		const publish = () =>
			publishItemsEvent(
				deps,
				{
					collection: meta.collection,
					action: 'update',
					keys: meta.keys,
					// The update as sent: a hashed field is still the plain text here.
					changed: meta.payload ? redactItem(schema as SchemaLike, meta.collection, meta.payload as Item) : null,
					user: userOf(accountability),
					socketId,
				},
				deps.readerFor({ schema }),
			);
		const rolledBack = () => undefined;
		void (commit ? commit.then(publish, rolledBack) : publish()).catch(fail(`publishing the update of ${meta.collection}`));
	});

	filter('items.delete', async (keys, meta, context) => {
		const collection = meta.collection as string;
		if (collection === CHANNELS_COLLECTION) return keys;
		try {
			const channels = (await deps.registry.forEvent(collection, 'delete')).filter((c) => c.row.publisher?.trim());
			if (channels.length > 0) {
				const list = keys as PrimaryKey[];
				const reader = deps.readerFor({ schema: context.schema, database: context.database });
				const read = await readForChannels(deps, reader, collection, list, channels);
				deletes.put(Pending.key(collection, list), read);
			}
		} catch (error) {
			// Never block a delete because of realtime.
			fail(`reading ${collection} before its delete`)(error);
		}
		return keys;
	});

	action('items.delete', (meta, { accountability }) => {
		const read = deletes.take(Pending.key(meta.collection, meta.keys));
		if (!read) return;
		void publishItemsEvent(
			deps,
			{ collection: meta.collection, action: 'delete', keys: meta.keys, changed: null, user: userOf(accountability), socketId: currentSocketId() },
			read,
		).catch(fail(`publishing the delete of ${meta.collection}`));
	});
}
