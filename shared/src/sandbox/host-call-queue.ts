/**
 * The host functions a run's script calls, bounded: at most `maxConcurrent` host promises
 * pending at once. A call beyond that waits here (the script gets a promise) and starts when one
 * settles; calls still waiting when the run ends, or its attempt is abandoned, are dropped
 * (`clear`) without being started.
 *
 * Replies follow transfer.ts: a call answered at once returns its reply; a promise returns
 * `p<id>`, and its settlement (or a waiting call's whole result) goes to `deliver` with the token
 * of the attempt that made the call, which decides whether anybody still wants it.
 */
import { encodeError, encodeReply, encodeSettlement, messageOf } from './transfer.js';

/**
 * A function a script may call, sync or async. Its arguments are JSON copies of whatever the
 * script passed (hence `any`): validating them is the function's job.
 */
export type HostFunction = (...args: any[]) => unknown;

/** Hands a later reply to the script's promise `callId`, of the attempt `token`. */
export type DeliverReply = (token: number, callId: string, reply: string) => void;

interface WaitingCall {
	token: number;
	callId: string;
	fn: HostFunction;
	args: unknown[];
}

export class HostCallQueue {
	private nextCallId = 0;
	/** Host promises not yet settled, of any attempt (an abandoned attempt's still load the host). */
	private pending = 0;
	private readonly waiting: WaitingCall[] = [];

	constructor(
		private readonly maxConcurrent: number,
		private readonly deliver: DeliverReply,
	) {}

	/** Host promises pending, and calls waiting for one of them to settle. */
	get load(): { pending: number; waiting: number } {
		return { pending: this.pending, waiting: this.waiting.length };
	}

	/** A call the script makes now: its reply, `p<id>` when it is (or waits to become) a promise. */
	call(token: number, fn: HostFunction, args: unknown[]): string | undefined {
		if (this.pending >= this.maxConcurrent) {
			const callId = String(++this.nextCallId);
			this.waiting.push({ token, callId, fn, args });
			return `p${callId}`;
		}
		return this.start(token, fn, args, undefined);
	}

	/** Drops the waiting calls: they never start, their results could no longer be used. */
	clear(): void {
		this.waiting.length = 0;
	}

	/**
	 * Calls a host function. Called by the script directly, the reply is returned; started from
	 * the queue (`queuedId`), the script already holds a promise, which the result settles.
	 */
	private start(token: number, fn: HostFunction, args: unknown[], queuedId: string | undefined): string | undefined {
		let result: unknown;
		try {
			result = Reflect.apply(fn, undefined, args);
		} catch (error) {
			// The message only: the host's stack (paths, frames) stays on the host.
			if (queuedId === undefined) return encodeError(messageOf(error));
			this.deliver(token, queuedId, encodeError(messageOf(error)));
			return undefined;
		}
		if (!isThenable(result)) {
			if (queuedId === undefined) return encodeReply(result);
			this.deliver(token, queuedId, encodeSettlement(result));
			return undefined;
		}
		const callId = queuedId ?? String(++this.nextCallId);
		this.pending++;
		Promise.resolve(result).then(
			(value) => this.settled(token, callId, encodeSettlement(value)),
			(error: unknown) => this.settled(token, callId, encodeError(messageOf(error))),
		);
		return `p${callId}`;
	}

	private settled(token: number, callId: string, reply: string): void {
		this.pending--;
		this.deliver(token, callId, reply);
		while (this.pending < this.maxConcurrent && this.waiting.length > 0) {
			const next = this.waiting.shift() as WaitingCall;
			this.start(next.token, next.fn, next.args, next.callId);
		}
	}
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
	return (
		value !== null &&
		(typeof value === 'object' || typeof value === 'function') &&
		typeof (value as { then?: unknown }).then === 'function'
	);
}
