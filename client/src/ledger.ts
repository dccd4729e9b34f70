/**
 * One channel's delivery ledger, with no I/O: it takes live events and history replies, and says
 * what to hand to the application (in `seq` order, each `id` once), when to ask the history, and
 * when the history could not fill a gap (a reset). The caller does the fetching.
 */

/** An event as the bundle numbers it (docs/delivery.md, "The envelope"). */
export interface Envelope {
	id: string;
	seq: number;
	epoch: string;
	data: unknown;
}

/** Where a channel's delivery stands: the last `seq` handed over, in `epoch`. */
export interface Position {
	epoch: string;
	seq: number;
}

/** One item of a history reply, its `data` already opened (an envelope). */
export interface LedgerItem {
	id: string;
	seq: number;
	event: string;
	data: Envelope;
}

/** The parts of `GET /realtime/channels/<name>/history`'s answer the ledger needs. */
export interface LedgerReply {
	epoch: string;
	recovered: boolean;
	latest: number;
	items: LedgerItem[];
	more: boolean;
}

/** What to ask the history for: the events after `since` in `epoch`, or (`since: null`) where the channel stands now. */
export type HistoryRequest = { since: number; epoch: string } | { since: null };

export interface Delivery {
	event: string;
	envelope: Envelope;
	/** True when it came from the history rather than live. */
	replayed: boolean;
}

export interface Reset {
	epoch: string;
	latest: number;
	previous: Position | null;
}

/** The ledger's answer to each input. */
export interface Step {
	deliver: Delivery[];
	/** Ask the history now (at most one request is outstanding). */
	fetch: HistoryRequest | null;
	/** The history could not fill the gap: the application reloads its state. */
	reset: Reset | null;
}

export interface LedgerOptions {
	/** Live events held back while a gap is being filled; past it the newest are let go (the history has them). */
	maxBuffer?: number;
	/** How many event ids are remembered to drop repeats. */
	rememberIds?: number;
	/** Start after this position (e.g. one saved before a page reload) instead of where the channel stands. */
	since?: Position | null;
}

interface Held {
	event: string;
	envelope: Envelope;
}

/** Tells an envelope from any other event payload. */
export function isEnvelope(value: unknown): value is Envelope {
	if (typeof value !== 'object' || value === null) return false;
	const v = value as Record<string, unknown>;
	return typeof v.id === 'string' && typeof v.epoch === 'string' && Number.isSafeInteger(v.seq) && (v.seq as number) >= 1 && 'data' in v;
}

export class ChannelLedger {
	#position: Position | null;
	#held: Held[] = [];
	/** Highest `seq` seen live in the position's epoch, held or not. */
	#ahead = 0;
	#fetching: HistoryRequest | null = null;
	/** Set when the subscription restarted during a fetch: ask again once it answers. */
	#again = false;
	/** The history could not say where the channel stands: take the next live event as the start. */
	#anchor = false;
	/** The position is `seq` 0 under the epoch of a channel that had no events: the first live event's epoch replaces it. */
	#unborn = false;
	/**
	 * After a start where the channel stood (`since: null`), until the first delivery: an event
	 * the history already counted may still arrive live, sent after the subscription but numbered
	 * before the history answered (its live copy was on its way). Only what was sent after the
	 * subscription arrives live, so the run starts at that event instead (the rest up to where
	 * the history stood is read from it).
	 */
	#early: { epoch: string } | null = null;
	#seen = new Set<string>();
	#seenOrder: string[] = [];
	readonly #maxBuffer: number;
	readonly #rememberIds: number;

	constructor(options: LedgerOptions = {}) {
		this.#position = options.since ? { ...options.since } : null;
		this.#maxBuffer = Math.max(1, options.maxBuffer ?? 1000);
		this.#rememberIds = Math.max(1, options.rememberIds ?? 1000);
	}

	get position(): Position | null {
		return this.#position ? { ...this.#position } : null;
	}

	get fetching(): HistoryRequest | null {
		return this.#fetching;
	}

	/** Live events held back behind a gap. */
	get held(): number {
		return this.#held.length;
	}

	/** The subscription (re)started: whatever was sent meanwhile is in the history. */
	start(): Step {
		this.#early = null;
		if (this.#fetching) {
			this.#again = true;
			return empty();
		}
		return this.#ask(empty());
	}

	/** A live event carrying an envelope. */
	live(event: string, envelope: Envelope): Step {
		const step = empty();
		if (this.#seen.has(envelope.id)) return step;
		if (this.#anchor && !this.#position) {
			this.#anchor = false;
			this.#position = { epoch: envelope.epoch, seq: envelope.seq - 1 };
		}
		if (this.#unborn && this.#position && envelope.epoch !== this.#position.epoch) this.#moveTo({ epoch: envelope.epoch, seq: 0 });
		const position = this.#position;
		if (position && envelope.epoch === position.epoch) {
			if (envelope.seq <= position.seq) {
				const early = this.#early;
				if (!early || early.epoch !== envelope.epoch || this.#seen.has(envelope.id)) {
					this.#remember(envelope.id);
					return step;
				}
				// Sent after the subscription, numbered before the history answered: the run starts
				// here after all, with this live copy. What follows it up to where the history stood
				// comes live or, if lost, from the history.
				const stood = position.seq;
				this.#moveTo({ epoch: envelope.epoch, seq: envelope.seq - 1 });
				this.#hold(event, envelope);
				this.#flush(step);
				if (this.#fetching || stood <= this.#position!.seq) return step;
				return this.#ask(step);
			}
			this.#ahead = Math.max(this.#ahead, envelope.seq);
			if (!this.#fetching && envelope.seq === position.seq + 1 && this.#held.length === 0) {
				this.#deliver(step, event, envelope, false);
				return step;
			}
		}
		this.#hold(event, envelope);
		if (this.#fetching) return step;
		return this.#ask(step);
	}

	/** The answer to the outstanding request. */
	history(reply: LedgerReply): Step {
		const request = this.#fetching;
		if (!request) return empty();
		this.#fetching = null;
		const step = empty();
		const position = this.#position;
		if (request.since === null) {
			this.#anchor = false;
			// Where the channel stands now: what came before the subscription is not delivered, what
			// arrived live since is.
			// A channel with no events answers under an epoch its first event will not share
			// (docs/delivery.md): the first live event's epoch is the one.
			const empty = reply.latest === 0;
			const epoch = (empty ? this.#held[0]?.envelope.epoch : undefined) ?? reply.epoch;
			const first = Math.min(reply.latest + 1, ...this.#held.filter((h) => h.envelope.epoch === epoch).map((h) => h.envelope.seq));
			this.#moveTo({ epoch, seq: first - 1 });
			this.#unborn = empty && this.#held.length === 0 && first === 1;
			if (first > 1) this.#early = { epoch };
		} else if (!reply.recovered || !position || reply.epoch !== position.epoch) {
			step.reset = { epoch: reply.epoch, latest: reply.latest, previous: position ? { ...position } : null };
			this.#moveTo({ epoch: reply.epoch, seq: reply.latest });
		} else {
			for (const item of [...reply.items].sort((a, b) => a.seq - b.seq)) {
				const at = this.#position!;
				if (item.seq <= at.seq) continue;
				if (item.seq !== at.seq + 1) break;
				this.#deliver(step, item.event, { ...item.data, id: item.id, seq: item.seq, epoch: reply.epoch }, true);
			}
		}
		this.#flush(step);
		const at = this.#position!;
		const behind = this.#held.length > 0 || this.#ahead > at.seq;
		if (this.#again || behind || (reply.more && request.since !== null && reply.recovered)) {
			this.#again = false;
			return this.#ask(step);
		}
		return step;
	}

	/**
	 * The request failed for good (the caller gave up retrying). Delivery goes on without the
	 * history: a gap it was to fill becomes a reset (the application reloads), held events follow.
	 * Where the channel stood was never learnt: the next live event marks it.
	 */
	abandon(): Step {
		const request = this.#fetching;
		const step = empty();
		if (!request) return step;
		this.#fetching = null;
		this.#again = false;
		const position = this.#position;
		const inEpoch = (epoch: string) => this.#held.filter((h) => h.envelope.epoch === epoch).map((h) => h.envelope.seq);
		if (!position) {
			const first = this.#held[0];
			if (!first) {
				this.#anchor = true;
				return step;
			}
			this.#moveTo({ epoch: first.envelope.epoch, seq: Math.min(...inEpoch(first.envelope.epoch)) - 1 });
		} else {
			// Skip to the first held event: of this epoch if there is one, else of the next.
			const epoch = inEpoch(position.epoch).length > 0 ? position.epoch : (this.#held[0]?.envelope.epoch ?? position.epoch);
			const held = inEpoch(epoch);
			const latest = held.length > 0 ? Math.min(...held) - 1 : Math.max(position.seq, this.#ahead);
			step.reset = { epoch, latest, previous: { ...position } };
			this.#moveTo({ epoch, seq: latest });
		}
		this.#flush(step);
		return step;
	}

	#ask(step: Step): Step {
		const position = this.#position;
		const request: HistoryRequest = position ? { since: position.seq, epoch: position.epoch } : { since: null };
		this.#fetching = request;
		step.fetch = request;
		return step;
	}

	#moveTo(position: Position): void {
		this.#unborn = false;
		this.#early = null;
		const changed = !this.#position || this.#position.epoch !== position.epoch;
		this.#position = position;
		if (changed) this.#ahead = 0;
		this.#held = this.#held.filter((h) => h.envelope.epoch !== position.epoch || h.envelope.seq > position.seq);
		for (const h of this.#held) if (h.envelope.epoch === position.epoch) this.#ahead = Math.max(this.#ahead, h.envelope.seq);
	}

	/** Hands over the held events that now follow on, in order. */
	#flush(step: Step): void {
		const at = this.#position!;
		this.#held = this.#held.filter((h) => !(h.envelope.epoch === at.epoch && h.envelope.seq <= at.seq) && !this.#seen.has(h.envelope.id));
		this.#held.sort((a, b) => a.envelope.seq - b.envelope.seq);
		for (;;) {
			const next = this.#held.findIndex((h) => h.envelope.epoch === at.epoch && h.envelope.seq === this.#position!.seq + 1);
			if (next < 0) break;
			const [h] = this.#held.splice(next, 1);
			this.#deliver(step, h!.event, h!.envelope, false);
		}
	}

	#hold(event: string, envelope: Envelope): void {
		if (this.#held.some((h) => h.envelope.id === envelope.id)) return;
		this.#held.push({ event, envelope });
		if (this.#held.length > this.#maxBuffer) {
			// Keep those nearest the gap; the history still has the newest.
			this.#held.sort((a, b) => a.envelope.seq - b.envelope.seq);
			this.#held.length = this.#maxBuffer;
		}
	}

	#deliver(step: Step, event: string, envelope: Envelope, replayed: boolean): void {
		this.#unborn = false;
		this.#early = null;
		this.#position = { epoch: envelope.epoch, seq: envelope.seq };
		if (this.#seen.has(envelope.id)) return;
		this.#remember(envelope.id);
		step.deliver.push({ event, envelope, replayed });
	}

	#remember(id: string): void {
		if (this.#seen.has(id)) return;
		this.#seen.add(id);
		this.#seenOrder.push(id);
		if (this.#seenOrder.length > this.#rememberIds) this.#seen.delete(this.#seenOrder.shift()!);
	}
}

function empty(): Step {
	return { deliver: [], fetch: null, reset: null };
}
