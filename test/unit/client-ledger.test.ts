/**
 * The client helper's ledger (client/src/ledger.ts): whatever mix of live events (late, repeated,
 * out of order), reconnects and history pages reaches it, the application gets every event once
 * and in `seq` order, and a history that lost events makes it say so (a reset).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ChannelLedger, isEnvelope, type Envelope, type LedgerReply, type Step } from '../../client/src/ledger.js';

const EPOCH = 'e1';

function envelope(seq: number, epoch = EPOCH): Envelope {
	return { id: `${epoch}-${seq}`, seq, epoch, data: { n: seq } };
}

/** A channel's history as the server keeps it: events 1..published, those after `trimmedTo` kept. */
class History {
	published = 0;
	trimmedTo = 0;
	epoch = EPOCH;
	unborn = 0;

	answer(request: NonNullable<ChannelLedger['fetching']>, page: number): LedgerReply {
		const latest = this.published;
		if (request.since === null) {
			// No events: an epoch the first event will not share, as the server answers.
			if (latest === 0) return { epoch: `unborn-${++this.unborn}`, recovered: true, latest, items: [], more: false };
			return { epoch: this.epoch, recovered: true, latest, items: latest > this.trimmedTo ? [this.item(latest)] : [], more: false };
		}
		if (request.epoch !== this.epoch || request.since < this.trimmedTo || request.since > latest) {
			return { epoch: this.epoch, recovered: false, latest, items: [], more: false };
		}
		const last = Math.min(latest, request.since + page);
		const items = [];
		for (let seq = request.since + 1; seq <= last; seq++) items.push(this.item(seq));
		return { epoch: this.epoch, recovered: true, latest, items, more: last < latest };
	}

	item(seq: number) {
		const data = envelope(seq, this.epoch);
		return { id: data.id, seq, event: 'created', data };
	}
}

/** Feeds the ledger and records what it hands over. */
class Driver {
	readonly delivered: number[] = [];
	readonly resets: Array<Step['reset']> = [];
	maxHeld = 0;
	constructor(readonly ledger: ChannelLedger, readonly history: History) {}

	take(step: Step): void {
		if (step.reset) this.resets.push(step.reset);
		for (const d of step.deliver) this.delivered.push(d.envelope.seq);
		this.maxHeld = Math.max(this.maxHeld, this.ledger.held);
	}

	answer(page: number): void {
		const request = this.ledger.fetching;
		if (request) this.take(this.ledger.history(this.history.answer(request, page)));
	}

	/** Answers until the ledger asks nothing more (bounded, so a loop would fail the test). */
	settle(page: number): void {
		for (let i = 0; this.ledger.fetching && i < 10_000; i++) this.answer(page);
		assert.equal(this.ledger.fetching, null, 'the ledger kept asking');
	}
}

type Action = { kind: 'publish' } | { kind: 'live'; pick: number } | { kind: 'answer'; page: number } | { kind: 'restart' };

const actionOf: fc.Arbitrary<Action> = fc.oneof(
	fc.constant<Action>({ kind: 'publish' }),
	fc.record({ kind: fc.constant('live' as const), pick: fc.nat() }),
	fc.record({ kind: fc.constant('answer' as const), page: fc.integer({ min: 1, max: 5 }) }),
	fc.constant<Action>({ kind: 'restart' }),
);
const actions = fc.array(actionOf, { maxLength: 120 });

function act(driver: Driver, action: Action | { kind: 'fail' }, total: number): void {
	const { ledger, history } = driver;
	if (action.kind === 'publish' && history.published < total) history.published++;
	else if (action.kind === 'live' && history.published > 0) driver.take(ledger.live('created', envelope(1 + (action.pick % history.published))));
	else if (action.kind === 'answer') driver.answer(action.page);
	else if (action.kind === 'restart') driver.take(ledger.start());
	else if (action.kind === 'fail') driver.take(ledger.abandon());
}

function run(driver: Driver, list: Array<Action | { kind: 'fail' }>, total: number): void {
	for (const action of list) act(driver, action, total);
	// Everything is published, the connection comes back once more, and the history answers.
	driver.history.published = total;
	driver.take(driver.ledger.start());
	driver.settle(3);
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/**
 * A start without a position that races the numbering: `before` events were published when the
 * subscription asked where the channel stands, `after` when the history answered.
 */
function startedWhileNumbering(before: number, after: number): { history: History; driver: Driver } {
	const history = new History();
	history.published = before;
	const driver = new Driver(new ChannelLedger(), history);
	driver.take(driver.ledger.start());
	history.published = after;
	driver.answer(10);
	return { history, driver };
}

describe('the client ledger', () => {
	it('delivers every event exactly once and in order, whatever the interleaving of live events, repeats, reconnects and history pages', () => {
		fc.assert(
			fc.property(fc.integer({ min: 0, max: 40 }), actions, fc.integer({ min: 1, max: 8 }), (total, list, maxBuffer) => {
				const driver = new Driver(new ChannelLedger({ since: { epoch: EPOCH, seq: 0 }, maxBuffer }), new History());
				driver.take(driver.ledger.start());
				run(driver, list, total);
				assert.deepEqual(driver.delivered, range(1, total));
				assert.deepEqual(driver.resets, []);
				assert.ok(driver.maxHeld <= maxBuffer, `held ${driver.maxHeld} > ${maxBuffer}`);
			}),
			{ numRuns: 500 },
		);
	});

	it('without a start position, delivers a gap-free run up to the last event, including what came live before it learnt where the channel stood', () => {
		fc.assert(
			fc.property(fc.integer({ min: 1, max: 40 }), actions, (total, list) => {
				const history = new History();
				const driver = new Driver(new ChannelLedger(), history);
				let firstLive: number | undefined;
				const live = driver.ledger.live.bind(driver.ledger);
				driver.ledger.live = (event, e) => {
					if (driver.ledger.position === null) firstLive ??= e.seq;
					return live(event, e);
				};
				driver.take(driver.ledger.start());
				run(driver, list, total);
				const from = driver.delivered[0] ?? total + 1;
				assert.deepEqual(driver.delivered, range(from, total));
				if (firstLive !== undefined) assert.ok(from <= firstLive, `started at ${from}, after ${firstLive} came live`);
			}),
			{ numRuns: 500 },
		);
	});

	it('delivers an event sent after the subscription whose live copy comes after the history counted it', () => {
		// The race of a start without a position: subscribed, the history asked where the channel
		// stands; event 3 is published, numbered (the history now says 3), and its live copy
		// arrives only after that answer.
		const { history, driver } = startedWhileNumbering(2, 3);
		assert.deepEqual(driver.ledger.position, { epoch: EPOCH, seq: 3 });
		const early = driver.ledger.live('created', envelope(3));
		assert.deepEqual(early.deliver.map((d) => [d.envelope.seq, d.replayed]), [[3, false]], 'handed over as it came, live, without a round trip');
		assert.equal(early.fetch, null, 'the history stood at 3: nothing to ask');
		driver.take(early);
		driver.settle(10);
		assert.deepEqual(driver.delivered, [3], 'not dropped as an event from before the subscription');
		history.published = 4;
		driver.take(driver.ledger.live('created', envelope(4)));
		driver.take(driver.ledger.live('created', envelope(3)));
		driver.take(driver.ledger.live('created', envelope(2)));
		driver.settle(10);
		assert.deepEqual(driver.delivered, [3, 4], 'then on as usual: repeats and older events dropped');
		assert.deepEqual(driver.resets, []);
	});

	it('hands over such an early live event at once and asks the history for the rest up to where it stood', () => {
		// Events 3 and 4 were numbered before the history answered (it says 4); 3's live copy comes
		// first, 4's is lost on the way.
		const { driver } = startedWhileNumbering(2, 4);
		const early = driver.ledger.live('created', envelope(3));
		assert.deepEqual(early.deliver.map((d) => [d.envelope.seq, d.replayed]), [[3, false]]);
		assert.deepEqual(early.fetch, { since: 3, epoch: EPOCH }, 'the history has 4');
		driver.take(early);
		driver.settle(10);
		assert.deepEqual(driver.delivered, [3, 4]);
		assert.deepEqual(driver.resets, []);
	});

	it('with history requests failing for good at any point, still never repeats or reorders, and every event it skips is inside a reset', () => {
		const withFailures = fc.array(fc.oneof(actionOf, fc.constant({ kind: 'fail' as const })), { maxLength: 120 });
		fc.assert(
			fc.property(fc.integer({ min: 0, max: 40 }), withFailures, (total, list) => {
				const driver = new Driver(new ChannelLedger({ since: { epoch: EPOCH, seq: 0 }, maxBuffer: 4 }), new History());
				driver.take(driver.ledger.start());
				run(driver, list, total);
				for (let i = 1; i < driver.delivered.length; i++) assert.ok(driver.delivered[i]! > driver.delivered[i - 1]!, `out of order: ${driver.delivered}`);
				for (const seq of range(1, total).filter((n) => !driver.delivered.includes(n))) {
					assert.ok(driver.resets.some((r) => r!.previous!.seq < seq && seq <= r!.latest), `${seq} skipped outside any reset ${JSON.stringify(driver.resets)}`);
				}
			}),
			{ numRuns: 500 },
		);
	});

	it('takes the first live event\'s epoch after the history said the channel had no events yet', () => {
		const history = new History();
		const driver = new Driver(new ChannelLedger(), history);
		driver.take(driver.ledger.start());
		driver.answer(10);
		assert.equal(driver.ledger.position!.seq, 0);
		history.published = 2;
		driver.take(driver.ledger.live('created', envelope(2)));
		driver.settle(10);
		assert.deepEqual(driver.delivered, [1, 2], 'the first event, missed, comes from the history of the live epoch');
		assert.deepEqual(driver.resets, []);
	});

	it('hands over in-order live events at once, without asking the history', () => {
		const ledger = new ChannelLedger({ since: { epoch: EPOCH, seq: 4 } });
		const step = ledger.live('created', envelope(5));
		assert.deepEqual(step.deliver.map((d) => [d.envelope.seq, d.replayed]), [[5, false]]);
		assert.equal(step.fetch, null);
	});

	it('holds events after a gap back until the history has filled it, then hands over the missed ones first', () => {
		const ledger = new ChannelLedger({ since: { epoch: EPOCH, seq: 1 } });
		const held = ledger.live('created', envelope(4));
		assert.deepEqual(held.deliver, []);
		assert.deepEqual(held.fetch, { since: 1, epoch: EPOCH });
		const history = new History();
		history.published = 4;
		const filled = ledger.history(history.answer(ledger.fetching!, 10));
		assert.deepEqual(filled.deliver.map((d) => [d.envelope.seq, d.replayed]), [[2, true], [3, true], [4, true]]);
		assert.equal(filled.fetch, null);
	});

	it('drops a repeated id, also one the history sends again', () => {
		const ledger = new ChannelLedger({ since: { epoch: EPOCH, seq: 0 } });
		assert.equal(ledger.live('created', envelope(1)).deliver.length, 1);
		assert.equal(ledger.live('created', envelope(1)).deliver.length, 0);
		assert.equal(ledger.live('created', { ...envelope(2), seq: 1 }).deliver.length, 0, 'a number already passed');
	});

	it('asks the history for the next page while `more` is true', () => {
		const history = new History();
		history.published = 7;
		const driver = new Driver(new ChannelLedger({ since: { epoch: EPOCH, seq: 0 } }), history);
		driver.take(driver.ledger.start());
		const asked: unknown[] = [];
		while (driver.ledger.fetching) {
			asked.push(driver.ledger.fetching);
			driver.answer(3);
		}
		assert.deepEqual(asked, [{ since: 0, epoch: EPOCH }, { since: 3, epoch: EPOCH }, { since: 6, epoch: EPOCH }]);
		assert.deepEqual(driver.delivered, range(1, 7));
	});

	it('resets when the history no longer covers the gap, and continues after `latest`', () => {
		const history = new History();
		history.published = 30;
		history.trimmedTo = 20;
		const driver = new Driver(new ChannelLedger({ since: { epoch: EPOCH, seq: 5 } }), history);
		driver.take(driver.ledger.live('created', envelope(31)));
		history.published = 31;
		driver.settle(10);
		assert.deepEqual(driver.resets, [{ epoch: EPOCH, latest: 31, previous: { epoch: EPOCH, seq: 5 } }]);
		assert.deepEqual(driver.delivered, []);
		driver.take(driver.ledger.live('created', envelope(32)));
		assert.deepEqual(driver.delivered, [32]);
	});

	it('resets when the epoch changed, and then delivers the new numbering from `latest` on', () => {
		const history = new History();
		const driver = new Driver(new ChannelLedger({ since: { epoch: EPOCH, seq: 9 } }), history);
		history.epoch = 'e2';
		history.published = 2;
		driver.take(driver.ledger.live('created', envelope(3, 'e2')));
		driver.settle(10);
		assert.deepEqual(driver.resets, [{ epoch: 'e2', latest: 2, previous: { epoch: EPOCH, seq: 9 } }]);
		assert.deepEqual(driver.delivered, [3], 'the held event after latest follows the reset');
		assert.deepEqual(driver.ledger.position, { epoch: 'e2', seq: 3 });
	});

	it('asks again after a restart that came while a request was out (what the reconnect dropped is in the next answer)', () => {
		const history = new History();
		history.published = 2;
		const ledger = new ChannelLedger({ since: { epoch: EPOCH, seq: 0 } });
		const driver = new Driver(ledger, history);
		driver.take(ledger.start());
		const pending = ledger.fetching!;
		driver.take(ledger.start());
		const answer = history.answer(pending, 10);
		history.published = 4;
		driver.take(ledger.history(answer));
		assert.deepEqual(ledger.fetching, { since: 2, epoch: EPOCH });
		driver.settle(10);
		assert.deepEqual(driver.delivered, [1, 2, 3, 4]);
	});

	it('when the history fails for good at a gap, resets to just before the held events and hands them over', () => {
		const ledger = new ChannelLedger({ since: { epoch: EPOCH, seq: 2 } });
		ledger.live('created', envelope(5));
		ledger.live('created', envelope(6));
		const step = ledger.abandon();
		assert.deepEqual(step.reset, { epoch: EPOCH, latest: 4, previous: { epoch: EPOCH, seq: 2 } });
		assert.deepEqual(step.deliver.map((d) => d.envelope.seq), [5, 6]);
		assert.equal(ledger.fetching, null);
	});

	it('when it cannot learn where the channel stands, starts from the next live event without asking again', () => {
		const ledger = new ChannelLedger();
		assert.deepEqual(ledger.start().fetch, { since: null });
		assert.deepEqual(ledger.abandon(), { deliver: [], fetch: null, reset: null });
		const step = ledger.live('created', envelope(8));
		assert.deepEqual(step.deliver.map((d) => d.envelope.seq), [8]);
		assert.equal(step.fetch, null);
	});

	it('when a restart cannot be checked against the history, resets where it stands (something may have been missed)', () => {
		const ledger = new ChannelLedger({ since: { epoch: EPOCH, seq: 3 } });
		ledger.start();
		assert.deepEqual(ledger.abandon().reset, { epoch: EPOCH, latest: 3, previous: { epoch: EPOCH, seq: 3 } });
	});

	it('remembers a bounded number of ids', () => {
		const ledger = new ChannelLedger({ since: { epoch: EPOCH, seq: 0 }, rememberIds: 2 });
		for (let seq = 1; seq <= 3; seq++) ledger.live('created', envelope(seq));
		// The oldest id is forgotten; its number still keeps it out.
		assert.equal(ledger.live('created', envelope(1)).deliver.length, 0);
	});

	it('tells an envelope from a bare payload', () => {
		assert.equal(isEnvelope(envelope(1)), true);
		for (const value of [null, 'x', { id: 'a', seq: 0, epoch: 'e', data: 1 }, { id: 'a', seq: 1.5, epoch: 'e', data: 1 }, { id: 'a', seq: 1, epoch: 'e' }, { id: 1, seq: 1, epoch: 'e', data: 1 }]) {
			assert.equal(isEnvelope(value), false, JSON.stringify(value));
		}
	});
});
