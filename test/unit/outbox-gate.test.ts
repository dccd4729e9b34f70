import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutboxGate } from '../../shared/src/delivery/outbox-gate.js';

describe('the outbox gate: outbox or memory', () => {
	it('uses the outbox while Redis is connected or connecting, and memory while its client is disconnected', () => {
		const gate = new OutboxGate();
		for (const status of ['ready', 'connect', 'connecting', 'wait', undefined]) assert.equal(gate.route(0, status), 'outbox', String(status));
		for (const status of ['reconnecting', 'close', 'end']) assert.equal(gate.route(0, status), 'memory', status);
	});

	it('after a failed or slow add, sends from memory for a pause, then tries Redis again', () => {
		const gate = new OutboxGate({ pauseMs: 1000 });
		gate.failed(5000);
		assert.equal(gate.route(5000, 'ready'), 'memory');
		assert.equal(gate.route(5999, 'ready'), 'memory');
		assert.equal(gate.route(6000, 'ready'), 'outbox');
		// A disconnected client stays memory whatever the pause says.
		assert.equal(gate.route(7000, 'reconnecting'), 'memory');
	});

	it('warns at most once per interval, with the count of events sent from memory since the last warning', () => {
		const gate = new OutboxGate({ warnEveryMs: 10_000 });
		assert.equal(gate.fellBack(0), 1);
		assert.equal(gate.fellBack(1), null);
		assert.equal(gate.fellBack(9_999), null);
		assert.equal(gate.fellBack(10_000), 3);
		assert.equal(gate.fellBack(10_001), null);
		assert.equal(gate.fellBack(25_000), 2);
	});
});
