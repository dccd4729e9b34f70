/**
 * The channel rows, compiled and indexed: by source collection for publishing, in match order
 * for authorization. Loaded lazily and kept until `invalidate()` (called when a row changes on
 * this instance); other instances' changes are noticed through the source's cheap `signature()`,
 * checked at most once per `checkIntervalMs`.
 *
 * Match order (documented in docs/channels.md): `sort` ascending (rows without a sort last),
 * then patterns with fewer parameters first (a literal name beats a pattern), then
 * `channel_name` alphabetically. The first enabled row whose pattern matches wins.
 */
import { channelType, type ChannelType } from './names.js';
import { channelPattern, type ChannelParams, type ChannelPattern } from './pattern.js';
import type { ChannelAction, ChannelRow } from './row.js';

export interface ChannelSource {
	/** Enabled rows. */
	load(): Promise<ChannelRow[]>;
	/** Changes whenever any row changes (e.g. count and latest dates). */
	signature(): Promise<string>;
}

export interface Channel {
	row: ChannelRow;
	pattern: ChannelPattern;
	type: ChannelType;
	/** For logs: `channel row <id> (<pattern>)`. */
	label: string;
}

export interface ChannelMatch {
	channel: Channel;
	params: ChannelParams;
}

interface Snapshot {
	ordered: Channel[];
	byCollection: Map<string, Channel[]>;
	signature: string;
}

export class ChannelRegistry {
	private snapshot: Promise<Snapshot> | undefined;
	private checkedAt = 0;
	private readonly warned = new Set<string>();

	constructor(
		private readonly source: ChannelSource,
		private readonly options: { checkIntervalMs: number; warn: (message: string) => void },
	) {}

	invalidate(): void {
		this.snapshot = undefined;
	}

	/** Rows of `collection` that publish on `action`. */
	async forEvent(collection: string, action: ChannelAction): Promise<Channel[]> {
		const { byCollection } = await this.current();
		return (byCollection.get(collection) ?? []).filter((c) => c.row[`trigger_on_${action}`]);
	}

	/** The first row, in match order, whose pattern matches `name`. */
	async match(name: string): Promise<ChannelMatch | null> {
		for (const channel of (await this.current()).ordered) {
			const params = channel.pattern.match(name);
			if (params) return { channel, params };
		}
		return null;
	}

	private async current(): Promise<Snapshot> {
		const now = Date.now();
		if (this.snapshot && now - this.checkedAt >= this.options.checkIntervalMs) {
			this.checkedAt = now;
			const [snapshot, signature] = await Promise.all([this.snapshot, this.source.signature()]);
			if (snapshot.signature !== signature) this.snapshot = undefined;
		}
		if (!this.snapshot) {
			this.checkedAt = now;
			const loading = this.load();
			this.snapshot = loading;
			// A failed load is not cached: the next event tries again.
			loading.catch(() => {
				if (this.snapshot === loading) this.snapshot = undefined;
			});
		}
		return this.snapshot;
	}

	private async load(): Promise<Snapshot> {
		const [rows, signature] = await Promise.all([this.source.load(), this.source.signature()]);
		const ordered = rows.flatMap((row) => this.compile(row)).sort(compareChannels);
		const byCollection = new Map<string, Channel[]>();
		for (const channel of ordered) {
			const list = byCollection.get(channel.row.collection) ?? [];
			list.push(channel);
			byCollection.set(channel.row.collection, list);
		}
		return { ordered, byCollection, signature };
	}

	private compile(row: ChannelRow): Channel[] {
		const label = `channel row ${row.id} (${row.channel_name})`;
		try {
			const pattern = channelPattern(row.channel_name);
			return [{ row, pattern, type: channelType(row.channel_name), label }];
		} catch (error) {
			// Rows saved before validation existed can hold a broken pattern: skip, say so once.
			const key = `${row.id}:${row.channel_name}`;
			if (!this.warned.has(key)) {
				this.warned.add(key);
				this.options.warn(`realtime: ${label} is skipped: ${(error as Error).message}`);
			}
			return [];
		}
	}
}

function compareChannels(a: Channel, b: Channel): number {
	const sa = a.row.sort ?? Number.POSITIVE_INFINITY;
	const sb = b.row.sort ?? Number.POSITIVE_INFINITY;
	if (sa !== sb) return sa < sb ? -1 : 1;
	if (a.pattern.params.length !== b.pattern.params.length) return a.pattern.params.length - b.pattern.params.length;
	return a.row.channel_name < b.row.channel_name ? -1 : a.row.channel_name > b.row.channel_name ? 1 : 0;
}
