/**
 * Whether an event goes into the outbox or out live from memory (docs/delivery.md, the outbox):
 * Redis is taken as unavailable while its client says it is disconnected, and for a short pause
 * after an add failed or took too long, so a Redis that answers slowly does not hold up every
 * event in turn. Also spaces out the warnings about it. Pure: the caller passes the time and
 * the client's status.
 */
import { redisDisconnected } from '../host.js';

export type OutboxRoute = 'outbox' | 'memory';

export interface OutboxGateOptions {
	/** After a failed add, how long events go out from memory without trying Redis, ms. */
	pauseMs?: number;
	/** Least time between two warnings, ms. */
	warnEveryMs?: number;
}

export class OutboxGate {
	private pausedUntil = Number.NEGATIVE_INFINITY;
	private lastWarnAt = Number.NEGATIVE_INFINITY;
	private unwarned = 0;
	private readonly pauseMs: number;
	private readonly warnEveryMs: number;

	constructor(options: OutboxGateOptions = {}) {
		this.pauseMs = options.pauseMs ?? 1000;
		this.warnEveryMs = options.warnEveryMs ?? 10_000;
	}

	/** Where the next event goes, given the Redis client's status (ioredis' `status`; unknown: try). */
	route(now: number, status: string | undefined): OutboxRoute {
		if (redisDisconnected(status)) return 'memory';
		return now < this.pausedUntil ? 'memory' : 'outbox';
	}

	/** An add failed or timed out: skip Redis for a while. */
	failed(now: number): void {
		this.pausedUntil = now + this.pauseMs;
	}

	/**
	 * Counts an event sent from memory instead; the number of such events since the last warning
	 * when it is time for one (at most one per `warnEveryMs`), else null.
	 */
	fellBack(now: number): number | null {
		this.unwarned++;
		if (now - this.lastWarnAt < this.warnEveryMs) return null;
		this.lastWarnAt = now;
		const count = this.unwarned;
		this.unwarned = 0;
		return count;
	}
}
