/**
 * When did each subscriber get the event of the current trial? Subscribers of every path call
 * `arrived(key)` from their message handler; the trial is armed before the clock starts, since
 * events can arrive before the REST call that caused them has returned.
 */
export class ArrivalProbe {
	private trial: { key: string; needle: string; expected: number; times: number[]; done: () => void } | undefined;
	private finished: Promise<void> = Promise.resolve();

	/** Records arrivals of events carrying `key` from now on, until `expected` have arrived. */
	arm(key: string, expected: number): void {
		let done!: () => void;
		this.finished = new Promise<void>((resolve) => (done = resolve));
		// In a Pusher data event the payload is a JSON string inside JSON: the title ends with \".
		this.trial = { key, needle: `${key}\\"`, expected, times: [], done };
	}

	/** For subscribers that hand over a raw Pusher message: did it carry the armed key? */
	arrivedIn(text: string): void {
		const now = performance.now();
		const trial = this.trial;
		if (!trial || !text.includes(trial.needle)) return;
		trial.times.push(now);
		if (trial.times.length === trial.expected) trial.done();
	}

	arrived(key: unknown): void {
		const now = performance.now();
		const trial = this.trial;
		if (!trial || key !== trial.key) return;
		trial.times.push(now);
		if (trial.times.length === trial.expected) trial.done();
	}

	/** Arrival times (performance.now()) once all expected arrived, or what came within `timeoutMs`. */
	async collect(timeoutMs: number): Promise<number[]> {
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([this.finished, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
		clearTimeout(timer);
		const times = this.trial?.times ?? [];
		this.trial = undefined;
		return [...times];
	}
}
