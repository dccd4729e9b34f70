/**
 * Keeps published events in the order Directus reported the writes. Each items event takes a
 * place in line when the host hands it over (after its commit); its publishing (the rows, the
 * read, the scripts) runs alongside the other events', but what it emits leaves in the order of
 * the places: a place's events wait until every earlier place is done. So writes made one after
 * the other reach a channel in that order even when an earlier one's script runs longer.
 *
 * The line never stalls for good: a place still not done `holdMs` after it was taken, or while
 * more than `maxWaiting` events wait behind it, stops holding the line (a warning says so, at
 * most once per 10 s); its events then leave as they come.
 */
import type { OutgoingEvent } from '../delivery/queue.js';
import { spaced } from '../spaced.js';

export interface Place {
	/** Hands an event on, now or once every earlier place is done. */
	emit(event: OutgoingEvent): void;
	/** The event's publishing is over (also when it failed): later places stop waiting for it. */
	done(): void;
}

export interface InOrderOptions {
	/** How long (ms) a place may hold back the events behind it. */
	holdMs: number;
	/** Most events waiting behind unfinished places; past it the oldest place stops holding. */
	maxWaiting: number;
	warn(message: string): void;
	/** An event `out` threw for (it never should): logged, and the line goes on. */
	error(message: string): void;
	/** A monotonic clock, ms (default `performance.now`): a wall clock set back would stretch the hold. */
	now?: () => number;
}

interface Slot extends Place {
	what: string;
	at: number;
	/** Events waiting for the earlier places; null once they need not wait (the slot leads, or was let go). */
	waiting: OutgoingEvent[] | null;
	finished: boolean;
	next: Slot | undefined;
}

export class InOrder {
	private head: Slot | undefined;
	private tail: Slot | undefined;
	private waitingCount = 0;
	private size = 0;
	private timer: ReturnType<typeof setTimeout> | undefined;
	private readonly now: () => number;
	private readonly warn: (message: string) => void;

	constructor(
		private readonly out: (event: OutgoingEvent) => void,
		private readonly options: InOrderOptions,
	) {
		this.now = options.now ?? (() => performance.now());
		this.warn = spaced(options.warn, undefined, this.now);
	}

	/** Places taken and not yet done or let go. */
	get length(): number {
		return this.size;
	}

	/** The next place in line; `what` names the event in a warning (e.g. `the create of orders 12`). */
	place(what: string): Place {
		const slot: Slot = {
			what,
			at: this.now(),
			waiting: this.head ? [] : null,
			finished: false,
			next: undefined,
			emit: (event) => this.emit(slot, event),
			done: () => this.done(slot),
		};
		this.size++;
		if (this.tail) this.tail.next = slot;
		else this.head = slot;
		this.tail = slot;
		this.arm();
		return slot;
	}

	private emit(slot: Slot, event: OutgoingEvent): void {
		if (slot.waiting === null) {
			this.send(event);
			return;
		}
		slot.waiting.push(event);
		this.waitingCount++;
		// Each head let go flushes the events of the places behind it up to the next unfinished one.
		while (this.waitingCount > this.options.maxWaiting && this.head) this.letGo(`is not done while more than ${this.options.maxWaiting} events wait behind it`);
	}

	private send(event: OutgoingEvent): void {
		try {
			this.out(event);
		} catch (error) {
			this.options.error(`realtime: queueing an event of ${event.source} for "${event.channel}" failed: ${(error as Error).message}`);
		}
	}

	private done(slot: Slot): void {
		if (slot.finished) return;
		slot.finished = true;
		this.size--;
		if (slot === this.head) this.advance();
	}

	/** Lets the events of the places now at the head out, dropping the finished ones, up to one still running. */
	private advance(): void {
		for (let lead = this.head; lead; lead = this.head) {
			const waiting = lead.waiting;
			lead.waiting = null;
			if (waiting) {
				this.waitingCount -= waiting.length;
				for (const event of waiting) this.send(event);
			}
			if (!lead.finished) {
				// A timer armed for an earlier head fires early for this one and arms again.
				this.arm();
				return;
			}
			this.head = lead.next;
		}
		this.tail = undefined;
		this.disarm();
	}

	/** The head stops holding the line: it leaves it, its later events go out as they come. */
	private letGo(why: string): void {
		const slot = this.head!;
		slot.finished = true;
		this.size--;
		this.warn(`realtime: publishing ${slot.what} ${why}: the events after it no longer wait for it, so its events may reach a channel after theirs`);
		this.advance();
	}

	/** A timer for the head's deadline, while places wait behind it. */
	private arm(): void {
		if (this.timer !== undefined || !this.head?.next) return;
		const delay = Math.max(0, this.head.at + this.options.holdMs - this.now());
		this.timer = setTimeout(() => {
			this.timer = undefined;
			while (this.head?.next && this.now() - this.head.at >= this.options.holdMs) this.letGo(`is not done after ${this.options.holdMs} ms`);
			this.arm();
		}, delay);
		this.timer.unref?.();
	}

	private disarm(): void {
		if (this.timer === undefined) return;
		clearTimeout(this.timer);
		this.timer = undefined;
	}
}
