/**
 * The isolates runs are served by: created on demand up to `size` (off Directus' thread, see
 * isolate-slot.ts), reused, and replaced when one is disposed (a memory-exhausted run, or one still
 * running past its deadline, takes its isolate down with it). A run holds
 * its isolate until it has settled and the isolate is idle; runs that find every isolate busy
 * wait in a bounded FIFO queue.
 *
 * One run per isolate, rather than interleaving async runs in one isolate: a run that loops after
 * an await can only be stopped by disposing its isolate, which must not take other runs with it,
 * and a synchronous call into an isolate still busy on its own thread would block Directus.
 */
import { SandboxBusyError, SandboxUnavailableError } from './script-errors.js';
import type { IsolateSlot } from './isolate-slot.js';
import { messageOf } from './transfer.js';

interface Waiter {
	resolve(slot: IsolateSlot): void;
	reject(error: Error): void;
}

export class IsolatePool {
	private readonly slots = new Set<IsolateSlot>();
	private readonly idle: IsolateSlot[] = [];
	private readonly waiting: Waiter[] = [];
	/** Isolates being made. */
	private creating = 0;
	private closed = false;

	constructor(
		private readonly size: number,
		private readonly maxQueue: number,
		private readonly createSlot: () => Promise<IsolateSlot>,
	) {}

	get isolates(): number {
		return this.slots.size;
	}

	get busy(): number {
		return this.slots.size - this.idle.length;
	}

	get queued(): number {
		return this.waiting.length;
	}

	/** Loaded scripts, summed over the isolates. */
	get loadedScripts(): number {
		let count = 0;
		for (const slot of this.slots) count += slot.scriptCount;
		return count;
	}

	/** An idle isolate now, or undefined when the run has to wait (or one has to be made). */
	tryAcquire(): IsolateSlot | undefined {
		if (this.closed) throw new SandboxUnavailableError('The script sandbox has been disposed');
		while (this.idle.length > 0) {
			const slot = this.idle.pop() as IsolateSlot;
			if (!slot.disposed) return slot;
			this.slots.delete(slot);
		}
		return undefined;
	}

	acquire(): Promise<IsolateSlot> {
		let slot: IsolateSlot | undefined;
		try {
			slot = this.tryAcquire();
		} catch (error) {
			return Promise.reject(error);
		}
		if (slot !== undefined) return Promise.resolve(slot);
		if (this.slots.size + this.creating < this.size) return this.create();
		if (this.waiting.length >= this.maxQueue) return Promise.reject(new SandboxBusyError(this.waiting.length));
		return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
	}

	/** Gives the slot back; a disposed one is dropped and a replacement made for whoever waits. */
	release(slot: IsolateSlot): void {
		if (slot.disposed || this.closed) {
			this.slots.delete(slot);
			slot.dispose();
			if (this.closed) return;
			const waiter = this.waiting.shift();
			if (waiter !== undefined) this.create().then(waiter.resolve, waiter.reject);
			return;
		}
		const waiter = this.waiting.shift();
		if (waiter !== undefined) waiter.resolve(slot);
		else this.idle.push(slot);
	}

	dispose(): void {
		this.closed = true;
		for (const slot of this.slots) slot.dispose();
		this.slots.clear();
		this.idle.length = 0;
		const error = new SandboxUnavailableError('The script sandbox has been disposed');
		for (const waiter of this.waiting.splice(0)) waiter.reject(error);
	}

	/** A new isolate, made off Directus' thread (isolate-slot.ts). */
	private create(): Promise<IsolateSlot> {
		this.creating++;
		return this.createSlot().then(
			(slot) => {
				this.creating--;
				if (this.closed) {
					slot.dispose();
					throw new SandboxUnavailableError('The script sandbox has been disposed');
				}
				this.slots.add(slot);
				return slot;
			},
			(error: unknown) => {
				this.creating--;
				throw new SandboxUnavailableError(`A script isolate could not be created: ${messageOf(error)}`);
			},
		);
	}
}
