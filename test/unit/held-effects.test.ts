/**
 * A run's held effects (shared/src/sandbox/held-effects.ts): checked when the script calls,
 * applied at once or held while the attempt may be abandoned, then applied in order or dropped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeldEffects } from '../../shared/src/sandbox/held-effects.js';

function setup() {
	const applied: string[] = [];
	const warnings: string[] = [];
	const effects = new HeldEffects({ warn: (message) => warnings.push(message) });
	const publish = (name: string) => () => applied.push(name);
	return { effects, applied, warnings, publish };
}

describe('held effects', () => {
	it('applies an effect at once while nothing is held, and answers the script nothing', () => {
		const { effects, applied, publish } = setup();
		assert.equal(effects.call((name: string) => publish(name), ['a']), undefined);
		assert.deepEqual(applied, ['a']);
	});

	it('holds the effects of an attempt that may be abandoned, and applies them in order once it counts; later ones at once', () => {
		const { effects, applied, publish } = setup();
		effects.hold();
		effects.call(publish, ['a']);
		effects.call(publish, ['b']);
		assert.deepEqual(applied, []);
		effects.release();
		assert.deepEqual(applied, ['a', 'b']);
		effects.call(publish, ['c']);
		assert.deepEqual(applied, ['a', 'b', 'c']);
	});

	it('drops the held effects of an abandoned attempt: they never happen', () => {
		const { effects, applied, publish } = setup();
		effects.hold();
		effects.call(publish, ['lost']);
		effects.drop();
		effects.release();
		effects.call(publish, ['kept']);
		assert.deepEqual(applied, ['kept']);
	});

	it('answers the script the error of a refused check, and holds nothing for it', () => {
		const { effects, applied } = setup();
		effects.hold();
		const refusing = () => {
			throw new TypeError('event name too long');
		};
		assert.equal(effects.call(refusing, []), 'eevent name too long');
		effects.release();
		assert.deepEqual(applied, []);
	});

	it('takes a check that returns nothing as an effect with nothing to do', () => {
		const { effects, warnings } = setup();
		assert.equal(effects.call(() => undefined, []), undefined);
		effects.release();
		assert.deepEqual(warnings, []);
	});

	it('logs an effect that fails once applied: the script cannot hear of it any more, and later effects still happen', () => {
		const { effects, applied, warnings, publish } = setup();
		effects.hold();
		effects.call(() => () => {
			throw new Error('queue closed');
		}, []);
		effects.call(publish, ['after']);
		effects.release();
		assert.deepEqual(applied, ['after']);
		assert.deepEqual(warnings, ["A script's host call failed after the script made it: queue closed"]);
	});
});
