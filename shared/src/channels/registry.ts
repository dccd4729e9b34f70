/**
 * The channel rows, compiled and indexed: by source collection for publishing, and per channel
 * type in match order for authorization. Loaded lazily and kept until `invalidate()` (called when
 * a row changes on this instance). Other instances' changes are noticed two ways: announced by
 * them through `ChannelPeers` (Directus' bus, when it runs with Redis), which makes the next use
 * check at once; and through the source's `signature()` (a hash of the rows' content), checked at
 * most once per `checkIntervalMs` in any case, since a bus message can be lost.
 *
 * Match order (documented in docs/channels.md): a name is tried only against rows of its own
 * kind (public, private-, private-encrypted-, presence-, and the cache- kind of each). Rows with a `sort` come first, lowest
 * first; then the most specific pattern (more literal characters, then fewer parameters), then
 * `channel_name`, then id, so the order never depends on how the database returned the rows.
 */
import { RealtimeError } from '../errors.js';
import { channelKind, type ChannelKind, type ChannelType } from '../pusher/names.js';
import { assertPlainPattern, channelPattern, type ChannelParams, type ChannelPattern } from './pattern.js';
import { publishesByDefault, type ChannelAction, type ChannelRow } from './row.js';

export interface ChannelSource {
	/** Enabled rows. */
	load(): Promise<ChannelRow[]>;
	/** Changes whenever anything the registry reads of any row changes (a hash of their content). */
	signature(): Promise<string>;
	/** The same rows read through another connection (a transaction); absent: read as usual. */
	through?(database: unknown): ChannelSource;
}

/**
 * Row changes announced between the instances of one project. One way: this instance announces
 * its own changes once they are committed, and hears the others'.
 */
export interface ChannelPeers {
	/** Tells the other instances that rows changed here. Never throws. */
	announce(): void;
	/** Calls `heard` whenever another instance announces a change. */
	listen(heard: () => void): void;
}

/**
 * After an announcement the next use checks the signature at once, but not sooner than this after
 * the previous check: whoever can publish on the bus cannot make an instance query in a loop.
 */
export const ANNOUNCED_CHECK_GAP_MS = 100;

export interface Channel {
	row: ChannelRow;
	pattern: ChannelPattern;
	/** What names it matches: its pattern's kind. */
	kind: ChannelKind;
	/** How its names are authorized: its pattern's type. */
	type: ChannelType;
	/** For logs: `channel row <id> (<pattern>)`. */
	label: string;
}

export interface ChannelMatch {
	channel: Channel;
	params: ChannelParams;
}

/** The rows as loaded at one moment; everything on it is synchronous. */
export class ChannelSnapshot {
	private readonly byKind = new Map<ChannelKind, Channel[]>();
	private readonly byCollection = new Map<string, Channel[]>();
	private readonly byPattern = new Map<string, Channel>();
	private readonly byShape = new Map<string, Channel>();
	/** Rows with a publisher, by collection and action: chosen once per snapshot. */
	private readonly publishing = new Map<string, readonly Channel[]>();

	constructor(
		channels: Channel[],
		readonly signature = '',
	) {
		for (const channel of [...channels].sort(compareChannels)) {
			push(this.byKind, channel.kind, channel);
			push(this.byCollection, channel.row.collection, channel);
			if (!this.byPattern.has(channel.row.channel_name)) this.byPattern.set(channel.row.channel_name, channel);
			if (!this.byShape.has(channel.pattern.shape)) this.byShape.set(channel.pattern.shape, channel);
		}
	}

	/** Rows of `collection` that publish on `action`. */
	forEvent(collection: string, action: ChannelAction): Channel[] {
		return (this.byCollection.get(collection) ?? []).filter((c) => c.row[`trigger_on_${action}`]);
	}

	/** Rows of `collection` that publish on `action` and have a publisher to run, in match order. */
	publishingFor(collection: string, action: ChannelAction): readonly Channel[] {
		const key = `${action}\u0000${collection}`;
		let channels = this.publishing.get(key);
		if (channels === undefined) {
			channels = Object.freeze(this.forEvent(collection, action).filter((c) => c.row.publisher?.trim() || publishesByDefault(c.row)));
			this.publishing.set(key, channels);
		}
		return channels;
	}

	/** Every row whose pattern matches `name`, in match order (only rows of the name's kind). */
	*matches(name: string): Generator<ChannelMatch> {
		for (const channel of this.byKind.get(channelKind(name)) ?? []) {
			const params = channel.pattern.match(name);
			if (params) yield { channel, params };
		}
	}

	/** The row that decides first for `name`. */
	match(name: string): ChannelMatch | null {
		for (const match of this.matches(name)) return match;
		return null;
	}

	/**
	 * The pattern a publisher's `broadcastTo(source, ...)` names: an enabled row's, as checked on
	 * save, or else a plain one (`assertPlainPattern`): a text built at run time may carry item
	 * data, which must not choose a regex for the server to analyse.
	 */
	broadcastPattern(source: string): ChannelPattern {
		const owner = this.byPattern.get(source);
		if (owner) return owner.pattern;
		assertPlainPattern(source);
		return channelPattern(source);
	}

	/**
	 * The name a publisher's `trigger` / `broadcastTo` fills from `pattern`: it must match the
	 * pattern back with the same parameters (`pattern.fill` checks), and when the pattern is a
	 * row's (the same text, or the same shape with other parameter names), that row must be the one deciding for the name, so item data cannot steer an event
	 * into a channel another row guards (`private-chat-:userId` with `userId = "notification-5"`
	 * while `private-chat-notification-:userId` exists). Throws CHANNEL_MISMATCH (or INVALID_CHANNEL_NAME).
	 */
	fill(pattern: ChannelPattern, params: unknown): string {
		const name = pattern.fill(params);
		// A pattern that differs from a row's only in its parameter names (`private-chat-:id` for
		// the row `private-chat-:userId`) is that row's too: renaming must not lift the check.
		const owner = this.byPattern.get(pattern.source) ?? this.byShape.get(pattern.shape);
		if (owner) {
			const decider = this.match(name)?.channel;
			if (decider !== owner) {
				throw new RealtimeError(
					'CHANNEL_MISMATCH',
					`"${name}" is decided by ${decider?.label ?? 'no row'}, not by ${owner.label} whose pattern filled it: refused so that item data cannot reach another row's channel`,
				);
			}
		}
		return name;
	}
}

export class ChannelRegistry {
	private loaded: Promise<ChannelSnapshot> | undefined;
	/** What `loaded` resolved to, for `peek()`. */
	private ready: ChannelSnapshot | undefined;
	/** A check or load under way: `ready` may be out of date until it answers. */
	private pending: Promise<ChannelSnapshot> | undefined;
	private checkedAt = 0;
	/** Another instance announced a change since the last check. */
	private announced = false;
	private peers: ChannelPeers | undefined;
	private readonly warned = new Set<string>();

	constructor(
		private readonly source: ChannelSource,
		private readonly options: { checkIntervalMs: number; warn: (message: string) => void },
	) {}

	/** Forgets the rows: the next use loads them (a change on this instance, not yet committed). */
	invalidate(): void {
		this.loaded = undefined;
		this.ready = undefined;
		this.pending = undefined;
	}

	/** Rows changed on this instance and the change is committed: forget them, tell the others. */
	changed(): void {
		this.invalidate();
		this.peers?.announce();
	}

	/** Joins the instances that announce their row changes to each other (once; later calls are ignored). */
	connect(peers: ChannelPeers): void {
		if (this.peers) return;
		this.peers = peers;
		peers.listen(() => {
			this.announced = true;
		});
	}

	/** Whether the loaded rows are due for a signature check at `now`. */
	private due(now: number): boolean {
		const since = now - this.checkedAt;
		return since >= this.options.checkIntervalMs || (this.announced && since >= ANNOUNCED_CHECK_GAP_MS);
	}

	/**
	 * The rows at hand without any query: the loaded snapshot while it is not yet due for a
	 * check and no check is under way, else undefined. For callers that must not wait on another
	 * connection (inside a transaction on SQLite, whose one connection the transaction holds), and
	 * for those that skip an event no row publishes: while a check runs, the rows it answers may
	 * publish it, and an event must not take older rows than an earlier one waiting for them.
	 */
	peek(): ChannelSnapshot | undefined {
		return this.ready && this.pending === undefined && !this.announced && !this.due(Date.now()) ? this.ready : undefined;
	}

	/**
	 * The rows last loaded, also when they are due for a check: only to choose what to read ahead
	 * of a decision (which row is likely to decide a name), never for the decision itself.
	 */
	latest(): ChannelSnapshot | undefined {
		return this.ready;
	}

	/** Rows of `collection` that publish on `action`. */
	async forEvent(collection: string, action: ChannelAction): Promise<Channel[]> {
		return (await this.snapshot()).forEvent(collection, action);
	}

	/**
	 * The rows for a caller inside a transaction, which must not wait on another connection
	 * (SQLite has one, and the transaction holds it): the snapshot at hand when it needs no check
	 * yet, else the rows read through `database` itself (used for this caller only, not kept).
	 */
	async snapshotThrough(database: unknown): Promise<ChannelSnapshot> {
		const atHand = this.peek();
		if (atHand) return atHand;
		const source = this.source.through?.(database) ?? this.source;
		return new ChannelSnapshot((await source.load()).flatMap((row) => this.compile(row)));
	}

	/** The first row, in match order, whose pattern matches `name`. */
	async match(name: string): Promise<ChannelMatch | null> {
		return (await this.snapshot()).match(name);
	}

	/**
	 * The current rows, reloaded when they changed. A check under way is shared: callers that
	 * come while it runs wait for the same answer, so an event never overtakes an earlier one
	 * here (the earlier one waiting on the check, the later one taking the old rows at once).
	 */
	async snapshot(): Promise<ChannelSnapshot> {
		const now = Date.now();
		if (this.loaded && this.due(now)) {
			this.checkedAt = now;
			this.announced = false;
			this.track(this.revalidate(this.loaded));
		}
		if (!this.loaded) {
			this.checkedAt = now;
			this.announced = false;
			this.track(this.load());
		}
		return this.loaded!;
	}

	/** `loading` becomes the rows every caller gets; a failure is not cached: the next use tries again. */
	private track(loading: Promise<ChannelSnapshot>): void {
		this.loaded = loading;
		this.pending = loading;
		loading.then(
			(snapshot) => {
				if (this.loaded !== loading) return;
				this.ready = snapshot;
				this.pending = undefined;
			},
			() => {
				if (this.loaded !== loading) return;
				this.loaded = undefined;
				this.ready = undefined;
				this.pending = undefined;
			},
		);
	}

	/** `previous` while the signature still vouches for it, else the rows loaded anew. */
	private async revalidate(previous: Promise<ChannelSnapshot>): Promise<ChannelSnapshot> {
		const [snapshot, signature] = await Promise.all([previous, this.source.signature()]);
		return snapshot.signature === signature ? snapshot : this.load();
	}

	private async load(): Promise<ChannelSnapshot> {
		// The signature first: a change committed between the two reads then makes the next check
		// differ and reload, instead of new rows' signature vouching for old rows.
		const signature = await this.source.signature();
		const rows = await this.source.load();
		return new ChannelSnapshot(
			rows.flatMap((row) => this.compile(row)),
			signature,
		);
	}

	private compile(row: ChannelRow): Channel[] {
		const label = `channel row ${row.id} (${row.channel_name})`;
		try {
			const pattern = channelPattern(row.channel_name);
			return [{ row, pattern, kind: pattern.kind, type: pattern.type, label }];
		} catch (error) {
			// Rows saved before validation existed can hold a broken or unsafe pattern: skip, say so once.
			const key = `${row.id}:${row.channel_name}`;
			if (!this.warned.has(key)) {
				this.warned.add(key);
				this.options.warn(`realtime: ${label} is skipped: ${(error as Error).message}`);
			}
			return [];
		}
	}
}

function push<K>(map: Map<K, Channel[]>, key: K, channel: Channel): void {
	const list = map.get(key);
	if (list) list.push(channel);
	else map.set(key, [channel]);
}

const sortOf = (c: Channel) => (c.row.sort !== null && Number.isFinite(c.row.sort) ? c.row.sort : null);
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Match order: sorted rows first (lowest first), then most specific, then by name and id. */
export function compareChannels(a: Channel, b: Channel): number {
	const sa = sortOf(a);
	const sb = sortOf(b);
	if (sa !== null || sb !== null) {
		if (sa === null) return 1;
		if (sb === null) return -1;
		if (sa !== sb) return sa - sb;
	}
	if (a.pattern.literalLength !== b.pattern.literalLength) return b.pattern.literalLength - a.pattern.literalLength;
	if (a.pattern.params.length !== b.pattern.params.length) return a.pattern.params.length - b.pattern.params.length;
	return byText(a.row.channel_name, b.row.channel_name) || byText(a.row.id, b.row.id);
}
