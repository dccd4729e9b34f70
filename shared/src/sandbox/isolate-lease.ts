/**
 * A run's hold on its isolate. Calls into the isolate in progress off Directus' thread keep it
 * busy; the run hands it back only once it is idle (or disposed), so the next synchronous call
 * into it can never block on leftover work. Past the run's deadline, code still running is left
 * to isolated-vm's own timeout for a while, then the isolate is disposed, which stops it, and
 * the pool replaces it.
 */
import type { IsolateSlot, SlotRun } from './isolate-slot.js';
import type { SandboxLogger } from './options.js';

/**
 * The deadline fires this long after the run's time is up, so that code running in the isolate
 * is stopped by isolated-vm's own timeout (which ends the call it was given) rather than by
 * disposing the isolate under it at the same instant; disposal is the last resort.
 */
const DEADLINE_GRACE_MS = 25;

/**
 * How long after the deadline isolated-vm's own timeout may still take to stop an isolate (on a
 * busy machine its timer thread can be late by tens of ms) before the isolate is disposed. The
 * run has failed by then already; waiting only keeps the isolate, whose replacement would cost
 * Directus' thread tens of ms.
 */
const STOP_GRACE_MS = 1000;

export class IsolateLease {
	/** Calls into the isolate in progress off-thread (start, settlements). */
	private calls = 0;
	private released = false;
	private timer: ReturnType<typeof setTimeout> | undefined;

	constructor(
		private readonly slot: IsolateSlot,
		private readonly holder: SlotRun,
		private readonly release: (slot: IsolateSlot) => void,
		private readonly logger: SandboxLogger,
	) {}

	/** No call into the isolate is in progress. */
	get idle(): boolean {
		return this.calls === 0;
	}

	/** A call into the isolate starts off Directus' thread. */
	enter(): void {
		this.calls++;
	}

	/** That call returned or failed. */
	leave(): void {
		this.calls--;
	}

	/**
	 * Once, `inMs` (plus a grace) from now: `onDeadline` (the run fails unless it has ended), then
	 * the isolate goes back, at once when idle, otherwise once isolated-vm had time to stop it,
	 * disposed if it did not.
	 */
	watchDeadline(inMs: number, onDeadline: () => void): void {
		this.timer ??= setTimeout(() => {
			this.timer = undefined;
			onDeadline();
			if (this.calls > 0 && !this.released) this.timer = setTimeout(() => this.stop(), STOP_GRACE_MS);
			else this.free();
		}, Math.max(0, inMs) + DEADLINE_GRACE_MS);
	}

	/** Hands the isolate back to the pool (once). */
	free(): void {
		if (this.released) return;
		this.released = true;
		if (this.timer !== undefined) clearTimeout(this.timer);
		this.slot.detach(this.holder);
		this.release(this.slot);
	}

	private stop(): void {
		this.timer = undefined;
		if (this.calls > 0) {
			// Code is still running in the isolate although isolated-vm's own timeout has passed.
			this.logger.warn('A script kept its isolate busy past its time limit; the isolate was replaced');
			this.slot.dispose();
		}
		this.free();
	}
}
