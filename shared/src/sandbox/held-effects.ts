/**
 * Host effects (publishing an event) of one run, applied once the attempt that made them is
 * known to count: an attempt that may still be abandoned (the synchronous one, stopped at the
 * end of its slice) holds them; if it counts they take place in the order the script made them,
 * if it is abandoned they never happen. Effects of an attempt that cannot be abandoned apply at
 * once. Each takes effect once per run.
 */
import type { SandboxLogger } from './options.js';
import { encodeError, messageOf } from './transfer.js';

/**
 * A host function with an effect outside the run (publishing an event): it checks its arguments
 * when the script calls it (what it throws, the script gets) and returns the effect, which the
 * sandbox applies once the call is known to count. It returns nothing to the script. An effect
 * that throws is logged; it cannot reach the script any more.
 */
export type HostEffect = (...args: any[]) => (() => void) | void;

export class HeldEffects {
	/** Effects of an attempt that may still be abandoned; undefined while they apply at once. */
	private held: Array<() => void> | undefined;

	constructor(private readonly logger: SandboxLogger) {}

	/** The attempt starting now may be abandoned: its effects wait. */
	hold(): void {
		this.held = [];
	}

	/** The attempt was abandoned: its held effects never happen; the next attempt's apply at once. */
	drop(): void {
		this.held = undefined;
	}

	/** The attempt counts: its held effects take place, in order; later ones at once. */
	release(): void {
		const held = this.held;
		this.held = undefined;
		if (held !== undefined) for (const apply of held) this.apply(apply);
	}

	/** The script calls `effect`: checked now (its error is the reply), applied or held. */
	call(effect: HostEffect, args: unknown[]): string | undefined {
		let apply: unknown;
		try {
			apply = Reflect.apply(effect, undefined, args);
		} catch (error) {
			return encodeError(messageOf(error));
		}
		if (typeof apply !== 'function') return undefined;
		if (this.held !== undefined) this.held.push(apply as () => void);
		else this.apply(apply as () => void);
		return undefined;
	}

	private apply(apply: () => void): void {
		try {
			apply();
		} catch (error) {
			this.logger.warn(`A script's host call failed after the script made it: ${messageOf(error)}`);
		}
	}
}
