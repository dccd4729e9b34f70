/**
 * A run's hold on its isolate (shared/src/sandbox/isolate-lease.ts): handed back once, the
 * deadline called a little after the time is up, and an isolate still busy past isolated-vm's
 * grace disposed before it goes back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IsolateSlot, SlotRun } from '../../shared/src/sandbox/isolate-slot.js';
import { IsolateLease } from '../../shared/src/sandbox/isolate-lease.js';
import { sleep } from '../harness/time.js';

function setup() {
	const events: string[] = [];
	const holder = {} as SlotRun;
	const slot = {
		detach: (run: SlotRun) => events.push(run === holder ? 'detached' : 'detached another run'),
		dispose: () => events.push('disposed'),
	} as unknown as IsolateSlot;
	const lease = new IsolateLease(slot, holder, (released) => events.push(released === slot ? 'released' : 'released another slot'), { warn: (m) => events.push(`warn: ${m}`) });
	return { lease, events };
}

describe('the isolate lease', () => {
	it('hands the isolate back once, detached from its run', () => {
		const { lease, events } = setup();
		lease.free();
		lease.free();
		assert.deepEqual(events, ['detached', 'released']);
	});

	it('is idle while no call into the isolate is in progress', () => {
		const { lease } = setup();
		assert.equal(lease.idle, true);
		lease.enter();
		lease.enter();
		lease.leave();
		assert.equal(lease.idle, false);
		lease.leave();
		assert.equal(lease.idle, true);
	});

	it('calls the deadline a little after the time is up, once, then hands an idle isolate back at once', async () => {
		const { lease, events } = setup();
		lease.watchDeadline(10, () => events.push('deadline'));
		lease.watchDeadline(0, () => events.push('second deadline'));
		await sleep(5);
		assert.deepEqual(events, []);
		await sleep(60);
		assert.deepEqual(events, ['deadline', 'detached', 'released']);
	});

	it('hands back nothing at the deadline of a lease already freed, and its timer is gone', async () => {
		const { lease, events } = setup();
		lease.watchDeadline(10, () => events.push('deadline'));
		lease.free();
		await sleep(60);
		assert.deepEqual(events, ['detached', 'released']);
	});

	it('disposes an isolate still busy a second after the deadline, with a warning, then hands it back', async () => {
		const { lease, events } = setup();
		lease.enter();
		lease.watchDeadline(0, () => events.push('deadline'));
		await sleep(100);
		assert.deepEqual(events, ['deadline']);
		await sleep(1100);
		assert.deepEqual(events, ['deadline', 'warn: A script kept its isolate busy past its time limit; the isolate was replaced', 'disposed', 'detached', 'released']);
	});
});
