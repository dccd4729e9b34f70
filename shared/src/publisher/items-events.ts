/**
 * The item-event flow, whatever host emits the events: for each create, update and delete it
 * chooses the channel rows that publish it once, reads the items they ask for and runs their
 * publishers. The host (realtime-hooks/src/publisher.ts for Directus) only hands events on, each
 * with its context, which goes back to the host's reader and access check untouched.
 *
 * Three events need care:
 * - a delete's items are read before the delete (the last moment they exist), and a host may ask
 *   for that read before it checks that the writer may delete them: so the host's own check is
 *   asked first, and only when a row publishes the delete; nothing is read for a refused delete;
 * - a batch update's items are read inside its transaction, right before the commit, and
 *   published after it (commit-gate.ts); a rolled-back batch publishes nothing;
 * - no event reads more than `maxKeysPerEvent` keys.
 * Rows of the channels table itself never publish. Nothing here fails the write: errors are logged.
 */
import type { ChannelRegistry, ChannelSnapshot } from '../channels/registry.js';
import { CHANNELS_COLLECTION, type ChannelAction } from '../channels/row.js';
import type { Item, ItemReader, PrimaryKey } from '../items/types.js';
import { CommitGate, committed, ended, openTransaction, type Transaction } from './commit-gate.js';
import { InOrder } from './in-order.js';
import { DEFAULT_PENDING_LIMITS, estimateBytes, Pending } from './pending.js';
import { publishRead, readForChannels, type ItemsEvent, type PublisherDeps, type ReadForEvent } from './pipeline.js';

/**
 * What the host hands with each event. The publisher looks at `database` only (a transaction the
 * event runs in); the whole goes back to the host's functions as it came.
 */
export interface HostEventContext {
	database?: unknown;
	[more: string]: unknown;
}

/** Who made a change. */
export interface Writer {
	/** The user's id; null for the system or public. */
	user: string | null;
	/** X-Socket-ID of the request that made the change, when it looked like a socket id. */
	socketId: string | null;
}

export interface ItemsEventPublisherDeps extends PublisherDeps {
	registry: ChannelRegistry;
	/** A reader for one event: through `context.database` when given one (before a delete, inside a transaction). */
	readerFor(context: HostEventContext): ItemReader;
	/** An update's delta without its secrets (a hashed field is still the plain text in it). */
	redact(context: HostEventContext, collection: string, item: Item): Item;
	/**
	 * Whether the host lets the writer delete `keys`, asked before the delete's read. Resolves
	 * false when refused or when the check is unavailable.
	 */
	mayDelete(context: HostEventContext, collection: string, keys: PrimaryKey[]): Promise<boolean>;
	/** Most keys read and published for one event (RT_MAX_KEYS_PER_EVENT). */
	maxKeysPerEvent: number;
	/** Memory budget of the delete pre-reads waiting for their action (RT_PENDING_MAX_MB). */
	pendingMaxBytes: number;
	/** How long (ms) one event's publishing may hold back the events of later writes (in-order.ts). */
	orderHoldMs: number;
	/** Most events waiting behind an earlier event's unfinished publishing. */
	orderMaxWaiting: number;
}

/** A read made inside a transaction: null when no row publishes, undefined when it failed. */
type ReadInsideResult = ReadForEvent | null | undefined;

export class ItemsEventPublisher {
	private readonly deletes: Pending<ReadForEvent>;
	/** Events leave in the order of their writes' actions (commits, for a batch update). */
	private readonly order: InOrder;
	/**
	 * A host that hands an update's filter and its action the very same `keys` array pairs them
	 * exactly (also when two requests write the same keys at once), and the entry goes when the
	 * host drops the array (a failed write never fills this map).
	 */
	private readonly batchUpdates = new WeakMap<object, Transaction>();

	constructor(private readonly deps: ItemsEventPublisherDeps) {
		this.deletes = new Pending<ReadForEvent>('delete pre-reads', { ...DEFAULT_PENDING_LIMITS, maxBytes: deps.pendingMaxBytes }, deps.log.warn);
		this.order = new InOrder(deps.enqueue, { holdMs: deps.orderHoldMs, maxWaiting: deps.orderMaxWaiting, warn: deps.log.warn, error: deps.log.error });
	}

	/** An item was created (an upload too). */
	created(collection: string, key: PrimaryKey, writer: Writer, context: HostEventContext): void {
		if (collection === CHANNELS_COLLECTION || this.publishesNothing(collection, 'create')) return;
		const event = this.event(collection, 'create', this.bounded(collection, 'create', [key]), writer);
		const what = `the create of ${collection} ${key}`;
		this.inLine(what, (deps) => this.publishNow(deps, event, context), this.fail(`publishing ${what}`));
	}

	/** An update is about to run (its filter): remembers its transaction, if any, for `updated`. */
	updating(keys: PrimaryKey[], context: HostEventContext): void {
		const trx = openTransaction(context.database);
		if (trx && Array.isArray(keys)) this.batchUpdates.set(keys, trx);
	}

	/** Items were updated with `changed` (as sent). `keys` is the array `updating` was given. */
	updated(collection: string, keys: PrimaryKey[], changed: Item | null, writer: Writer, context: HostEventContext): void {
		if (collection === CHANNELS_COLLECTION || this.publishesNothing(collection, 'update')) return;
		const event = this.event(collection, 'update', this.bounded(collection, 'update', keys), writer);
		const redacted = (): ItemsEvent => ({ ...event, changed: changed ? this.deps.redact(context, collection, changed) : null });
		const what = `the update of ${collection}`;
		const failed = this.fail(`publishing ${what}`);
		const trx = this.batchUpdates.get(keys);
		if (!trx) {
			this.inLine(what, (deps) => this.publishNow(deps, event, context, redacted), failed);
			return;
		}
		if (ended(trx)) {
			// A nested update's action, after its transactions ended: in line now, published if they committed.
			this.inLine(
				what,
				async (deps) => {
					if (await committed(trx).then(() => true, () => false)) await this.publishNow(deps, event, context, redacted);
				},
				failed,
			);
			return;
		}
		// Published after the commit, in line from there: the order of the commits.
		const rolledBack = () => undefined;
		if (trx.isCompleted?.()) {
			// Its own transaction ended, one around it has not.
			void committed(trx).then(() => this.inLine(what, (deps) => this.publishNow(deps, event, context, redacted), failed), rolledBack);
			return;
		}
		const gate = CommitGate.of<ReadInsideResult>(
			trx,
			(name, gateKeys, savepoint) => this.readInside(name, 'update', this.bounded(name, 'batch update', gateKeys), { ...context, database: savepoint }),
			this.fail('reading a batch update before its commit'),
		);
		const read = gate.readBeforeCommit(collection, event.keys);
		void committed(trx).then(
			() =>
				this.inLine(
					what,
					async (deps) => {
						const inside = await read;
						if (inside === null) return;
						// The read inside failed (logged): read now, after the commit.
						if (inside === undefined) await this.publishNow(deps, event, context, redacted);
						else await publishRead(deps, redacted(), inside);
					},
					failed,
				),
			rolledBack,
		);
	}

	/** Items are about to be deleted (its filter): reads them for the rows that publish the delete. */
	async deleting(collection: string, keys: PrimaryKey[], context: HostEventContext): Promise<void> {
		if (collection === CHANNELS_COLLECTION) return;
		try {
			// A delete can run inside another write's transaction (relational updates).
			const snapshot = openTransaction(context.database) ? await this.deps.registry.snapshotThrough(context.database) : await this.deps.registry.snapshot();
			const channels = snapshot.publishingFor(collection, 'delete');
			if (channels.length === 0) return;
			// Ask the host's check first, so a delete it will refuse costs no read.
			if (!(await this.deps.mayDelete(context, collection, keys))) return;
			const items = await readForChannels(this.deps, this.deps.readerFor(context), collection, this.bounded(collection, 'delete', keys), channels);
			this.deletes.put(pendingKey(collection, keys), { snapshot, channels, items }, estimateBytes(items));
		} catch (error) {
			// Never block a delete because of realtime.
			this.fail(`reading ${collection} before its delete`)(error);
		}
	}

	/** Items were deleted: publishes what `deleting` read of them. */
	deleted(collection: string, keys: PrimaryKey[], writer: Writer): void {
		const read = this.deletes.take(pendingKey(collection, keys));
		if (!read) return;
		// `deleting` warned already about keys past the bound.
		const event = this.event(collection, 'delete', keys.slice(0, this.deps.maxKeysPerEvent), writer);
		const what = `the delete of ${collection}`;
		this.inLine(what, (deps) => publishRead(deps, event, read), this.fail(`publishing ${what}`));
	}

	/**
	 * Whether the rows at hand (needing no check) say that no row publishes this: then nothing
	 * is read or queued, and the event takes no place in line.
	 */
	private publishesNothing(collection: string, action: ChannelAction): boolean {
		const atHand = this.deps.registry.peek();
		return atHand !== undefined && atHand.publishingFor(collection, action).length === 0;
	}

	/**
	 * Publishes in the next place in line: `publish` runs now, alongside other events', and what
	 * it sends leaves once every earlier place is done (in-order.ts).
	 */
	private inLine(what: string, publish: (deps: PublisherDeps) => Promise<void>, failed: (error: unknown) => void): void {
		const place = this.order.place(what);
		void publish({ ...this.deps, enqueue: place.emit })
			.catch(failed)
			.finally(() => place.done());
	}

	/** Chooses the channels, reads and publishes, with the event's delta made when a row publishes. */
	private async publishNow(deps: PublisherDeps, event: ItemsEvent, context: HostEventContext, withChanged?: () => ItemsEvent): Promise<void> {
		const snapshot = await this.deps.registry.snapshot();
		const channels = snapshot.publishingFor(event.collection, event.action);
		if (channels.length === 0) return;
		// After the write: read on the host's own connections (merged with concurrent reads), not
		// through the event's, which may be a transaction already over.
		const { database: _done, ...after } = context;
		const items = await readForChannels(deps, this.deps.readerFor(after), event.collection, event.keys, channels);
		await publishRead(deps, withChanged?.() ?? event, { snapshot, channels, items });
	}

	/** Inside a transaction (through `context.database`): nothing may wait on another connection. */
	private async readInside(collection: string, action: ChannelAction, keys: PrimaryKey[], context: HostEventContext): Promise<ReadInsideResult> {
		const snapshot: ChannelSnapshot = await this.deps.registry.snapshotThrough(context.database);
		const channels = snapshot.publishingFor(collection, action);
		if (channels.length === 0) return null;
		return { snapshot, channels, items: await readForChannels(this.deps, this.deps.readerFor(context), collection, keys, channels) };
	}

	/** The event as its publishers see it; an update's delta is added once a row publishes it. */
	private event(collection: string, action: ChannelAction, keys: PrimaryKey[], writer: Writer): ItemsEvent {
		return { collection, action, keys, changed: null, user: writer.user, socketId: writer.socketId };
	}

	private bounded(collection: string, action: string, keys: PrimaryKey[]): PrimaryKey[] {
		const max = this.deps.maxKeysPerEvent;
		if (keys.length <= max) return keys;
		this.deps.log.warn(`realtime: ${action} of ${keys.length} ${collection} items: publishing only the first ${max} (RT_MAX_KEYS_PER_EVENT)`);
		return keys.slice(0, max);
	}

	private fail(what: string): (error: unknown) => void {
		return (error) => this.deps.log.error(`realtime: ${what} failed: ${(error as Error).message}`);
	}
}

function pendingKey(collection: string, keys: PrimaryKey[]): string {
	return `${collection}\u0000${keys.map(String).join('\u0000')}`;
}
