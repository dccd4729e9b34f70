/**
 * The line items events take so that what they publish leaves in the order of their writes,
 * whatever order their publishing finishes in (shared/src/publisher/in-order.ts).
 */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import fc from 'fast-check';
import type { OutgoingEvent } from '../../shared/src/delivery/queue.js';
import { InOrder, type InOrderOptions, type Place } from '../../shared/src/publisher/in-order.js';
import { pollUntil, sleep } from '../harness/time.js';

const ev = (name: string): OutgoingEvent => ({ channel: 'c', name, data: '{}', source: 'test' });

function line(options: Partial<InOrderOptions> = {}, send: (name: string) => void = () => {}) {
	const out: string[] = [];
	const warnings: string[] = [];
	const errors: string[] = [];
	const order = new InOrder(
		(e) => {
			send(e.name);
			out.push(e.name);
		},
		{ holdMs: 60_000, maxWaiting: 1000, warn: (m) => warnings.push(m), error: (m) => errors.push(m), ...options },
	);
	return { order, out, warnings, errors };
}

describe('events in the order of their writes', () => {
	it('holds a later event until every earlier place is done, and lets the first place through at once', () => {
		const { order, out } = line();
		const first = order.place('the create of orders 1');
		const second = order.place('the create of orders 2');
		const third = order.place('the create of orders 3');
		third.emit(ev('3a'));
		third.done();
		second.emit(ev('2a'));
		assert.deepEqual(out, [], 'nothing overtakes the first place');
		first.emit(ev('1a'));
		assert.deepEqual(out, ['1a'], 'the first place sends at once');
		first.emit(ev('1b'));
		first.done();
		assert.deepEqual(out, ['1a', '1b', '2a'], 'the second place leads now: its events leave, the third still waits');
		second.emit(ev('2b'));
		assert.deepEqual(out, ['1a', '1b', '2a', '2b']);
		second.done();
		assert.deepEqual(out, ['1a', '1b', '2a', '2b', '3a']);
		assert.equal(order.length, 0);
	});

	it('lets a place that published nothing, or failed, stop holding the line once done', () => {
		const { order, out } = line();
		const failing = order.place('the update of posts');
		const next = order.place('the create of posts 2');
		next.emit(ev('2'));
		assert.deepEqual(out, []);
		failing.done();
		assert.deepEqual(out, ['2']);
		failing.done();
		next.done();
		assert.equal(order.length, 0);
	});

	it('sends every event once, in the order of the places, whatever order the publishing finishes in (property)', () => {
		// Each place emits its events and then is done; the places' steps interleave at random.
		const steps = fc.array(fc.nat(3), { minLength: 1, maxLength: 12 }).chain((counts) => {
			const tokens = counts.flatMap((n, i) => Array.from({ length: n + 1 }, () => i));
			return fc.tuple(fc.constant(counts), fc.shuffledSubarray(tokens, { minLength: tokens.length, maxLength: tokens.length }));
		});
		fc.assert(
			fc.property(steps, ([counts, tokens]) => {
				const { order, out } = line();
				const places = counts.map((n, i) => ({ place: order.place(`event ${i}`), events: Array.from({ length: n }, (_, j) => `${i}.${j}`), sent: 0 }));
				for (const i of tokens) {
					const p = places[i]!;
					if (p.sent < p.events.length) p.place.emit(ev(p.events[p.sent++]!));
					else p.place.done();
				}
				assert.deepEqual(
					out,
					places.flatMap((p) => p.events),
				);
				assert.equal(order.length, 0);
			}),
		);
	});

	it('stops waiting for a place after holdMs from when it was taken, says so, and keeps the order of the rest', async () => {
		let now = 0;
		const { order, out, warnings } = line({ holdMs: 30, now: () => now });
		const stuck = order.place('the create of orders 1');
		now = 25;
		const second = order.place('the create of orders 2');
		const third = order.place('the create of orders 3');
		third.emit(ev('3'));
		second.emit(ev('2'));
		third.done();
		// The timer armed for the stuck place fires after 30 ms; by then the clock says 30.
		now = 30;
		await pollUntil(
			() => out.length,
			(n) => n > 0,
			{ timeoutMs: 5000, intervalMs: 5 },
		);
		assert.deepEqual(out, ['2'], 'the second place leads once the stuck one is let go (it ran 5 ms of its 30); the third still waits for it');
		assert.equal(warnings.length, 1);
		assert.match(warnings[0]!, /publishing the create of orders 1 is not done after 30 ms: the events after it no longer wait for it/);
		stuck.emit(ev('1 late'));
		assert.deepEqual(out, ['2', '1 late'], 'a place let go sends as it comes');
		second.done();
		assert.deepEqual(out, ['2', '1 late', '3']);
		stuck.done();
		assert.equal(order.length, 0);
	});

	it('never holds events back for a place alone in line, however long it takes', async () => {
		const { order, out, warnings } = line({ holdMs: 10 });
		const slow = order.place('the create of orders 1');
		await new Promise((resolve) => setTimeout(resolve, 40));
		slow.emit(ev('1'));
		slow.done();
		assert.deepEqual([out, warnings], [['1'], []]);
	});

	it('lets the head go when more than maxWaiting events wait behind it', () => {
		const { order, out, warnings } = line({ maxWaiting: 2 });
		const stuck = order.place('the delete of orders');
		const behind = order.place('the create of orders 9');
		behind.emit(ev('a'));
		behind.emit(ev('b'));
		assert.deepEqual(out, []);
		behind.emit(ev('c'));
		assert.deepEqual(out, ['a', 'b', 'c']);
		assert.match(warnings[0]!, /the delete of orders is not done while more than 2 events wait behind it/);
		stuck.done();
		behind.done();
		assert.equal(order.length, 0);
	});

	it('warns at most once per 10 s, counting what it did not say', () => {
		let now = 0;
		const { order, warnings } = line({ maxWaiting: 0, now: () => now });
		for (let i = 0; i < 3; i++) {
			order.place(`the create of orders ${i}`);
			order.place('behind').emit(ev('x'));
		}
		assert.equal(warnings.length, 1);
		now = 10_000;
		order.place('the create of orders 3');
		order.place('behind').emit(ev('x'));
		assert.equal(warnings.length, 2);
		assert.match(warnings[1]!, /\(\d+ similar warning\(s\) skipped\)/);
	});

	it('logs an event the queue threw for, and loses none of the others nor the line', () => {
		const { order, out, errors, warnings } = line({}, (name) => {
			if (name === 'a') throw new Error('enqueue failed');
		});
		const first = order.place('the create of orders 1');
		const second = order.place('the create of orders 2');
		const third = order.place('the create of orders 3');
		second.emit(ev('a'));
		second.emit(ev('b'));
		second.done();
		third.emit(ev('c'));
		third.done();
		first.done();
		assert.deepEqual(out, ['b', 'c']);
		assert.equal(order.length, 0);
		assert.equal(errors.length, 1);
		assert.match(errors[0]!, /queueing an event of test for "c" failed: enqueue failed/);
		assert.deepEqual(warnings, []);
		order.place('the create of orders 4').emit(ev('d'));
		assert.deepEqual(out, ['b', 'c', 'd'], 'the line goes on');
	});

	it('holds for holdMs of real time even when the wall clock is set back', async () => {
		const wallClock = Date.now;
		const setBack = wallClock() - 3_600_000;
		Date.now = () => setBack;
		try {
			const { order, out } = line({ holdMs: 30 });
			order.place('the create of orders 1');
			const behind = order.place('the create of orders 2');
			behind.emit(ev('2'));
			behind.done();
			// Counted in turns, not by the clock this test stops.
			for (let turn = 0; turn < 1000 && out.length === 0; turn++) await sleep(5);
			assert.deepEqual(out, ['2'], 'let go after 30 ms, not after the hour the clock went back');
		} finally {
			Date.now = wallClock;
		}
	});

	it('lets go as many places as it takes to leave no more than maxWaiting events waiting', () => {
		const { order, out } = line({ maxWaiting: 2 });
		order.place('slow 1');
		order.place('slow 2');
		order.place('slow 3');
		const last = order.place('fast');
		for (let i = 0; i < 3; i++) last.emit(ev(`e${i}`));
		assert.deepEqual(out, ['e0', 'e1', 'e2'], 'every slow place ahead was let go, not one per event');
	});

	it('with places let go by time and by maxWaiting, sends every event once and never lets a later event overtake a place done before it left (property)', () => {
		type Op = { kind: 'place' } | { kind: 'emit'; i: number } | { kind: 'done'; i: number } | { kind: 'tick'; ms: number };
		const op: fc.Arbitrary<Op> = fc.oneof(
			fc.constant({ kind: 'place' as const }),
			fc.record({ kind: fc.constant('emit' as const), i: fc.nat(20) }),
			fc.record({ kind: fc.constant('emit' as const), i: fc.nat(20) }),
			fc.record({ kind: fc.constant('done' as const), i: fc.nat(20) }),
			fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 80 }) }),
		);
		fc.assert(
			fc.property(fc.array(op, { maxLength: 80 }), fc.integer({ min: 0, max: 6 }), (ops, maxWaiting) => {
				mock.timers.enable({ apis: ['setTimeout'] });
				try {
					let now = 0;
					const { order, out } = line({ holdMs: 100, maxWaiting, now: () => now });
					const places: Array<{ place: Place; events: string[]; done: boolean; doneAtOut: number }> = [];
					let n = 0;
					for (const o of ops) {
						if (o.kind === 'place') places.push({ place: order.place(`p${places.length}`), events: [], done: false, doneAtOut: -1 });
						else if (o.kind === 'tick') {
							now += o.ms;
							mock.timers.tick(o.ms);
						} else {
							const p = places[o.i % Math.max(1, places.length)];
							if (!p || p.done) continue;
							if (o.kind === 'emit') {
								const name = `${places.indexOf(p)}.${n++}`;
								p.events.push(name);
								p.place.emit(ev(name));
							} else {
								p.done = true;
								p.doneAtOut = out.length;
								p.place.done();
							}
						}
					}
					for (const p of places) if (!p.done) p.place.done();
					const all = places.flatMap((p) => p.events);
					assert.deepEqual([...out].sort(), [...all].sort(), 'every event, once');
					places.forEach((earlier, i) => {
						if (earlier.doneAtOut < 0) return;
						const lastOut = Math.max(-1, ...earlier.events.map((e) => out.indexOf(e)));
						for (const later of places.slice(i + 1)) {
							for (const e of later.events) {
								const at = out.indexOf(e);
								if (at >= earlier.doneAtOut) assert.ok(lastOut < at, `${e} overtook place ${i}, done before it left`);
							}
						}
					});
					assert.equal(order.length, 0);
				} finally {
					mock.timers.reset();
				}
			}),
			{ numRuns: 300 },
		);
	});
});
